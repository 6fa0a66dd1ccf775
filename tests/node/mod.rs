//! Ports of Node.js's own stream tests (`test/parallel/test-stream*.js`):
//! each test is named after the Node test whose behaviour it checks, and
//! says where smerge's poll model makes the port differ.

mod auto_destroy;
mod big_packet;
mod destroy_event_order;
mod duplex_end;
mod end_paused;
mod finished;
mod pipe_after_end;
mod pipe_await_drain;
mod pipe_cleanup;
mod pipe_error_handling;
mod pipe_flow;
mod pipe_need_drain;
mod pipe_same_destination_twice;
mod pipe_unpipe_streams;
mod pipeline;
mod readable_hwm_0;
mod readable_set_encoding;
mod stream2_objects;
mod stream2_transform;
mod stream2_writable;
mod transform_final;
mod transform_flush_data;
mod transform_hwm0;
mod transform_split_highwatermark;
mod unshift_read_race;
mod writable_destroy;
mod writable_end_cb_error;
mod writable_finished;
mod writable_needdrain_state;
mod writable_write_error;
mod writev;
