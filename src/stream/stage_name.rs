//! How errors name a pipeline's stages.

/// A label for stages in error messages.
pub(crate) fn stage_name(index: usize, label: Option<&str>) -> String {
    match label {
        Some(label) => format!("stage {index} ({label})"),
        None => format!("stage {index}"),
    }
}
