//! Ports of Node.js's own stream tests (`test/parallel/test-stream*.js`):
//! each test is named after the Node test whose behaviour it checks, and
//! says where smerge's poll model makes the port differ.

mod stream2_writable;
mod big_packet;
mod readable_hwm_0;
mod transform_hwm0;
mod transform_split_highwatermark;
mod writable_needdrain_state;
mod writev;
mod pipe_after_end;
mod pipe_await_drain;
mod pipe_cleanup;
mod pipe_error_handling;
mod pipe_flow;
mod pipe_need_drain;
mod pipe_unpipe_streams;
mod auto_destroy;
mod destroy_event_order;
mod end_paused;
mod writable_destroy;
mod writable_end_cb_error;
mod writable_finished;
mod writable_write_error;
mod stream2_objects;
mod unshift_read_race;
mod duplex_end;
mod stream2_transform;
mod transform_final;
mod transform_flush_data;
