//! `--source-map` and its options: maps the flags onto
//! [`SourceMapOptions`](smerge::sourcemap::SourceMapOptions).

use smerge::merge::MergeOptions;

use std::path::Path;

use crate::args::MergeArgs;

/// Sets `options.source_map` from the flags; `output` is OUTPUT, `None`
/// for standard output.
#[cfg(feature = "source-map")]
pub(crate) fn add_source_map(
    args: &MergeArgs,
    output: Option<&Path>,
    options: &mut MergeOptions,
) -> anyhow::Result<()> {
    use anyhow::bail;
    use smerge::sourcemap::{CommentStyle, MapTarget, SourceMapOptions};

    use crate::args::MapCommentArg;

    let maps = &args.maps;
    let Some(value) = &maps.source_map else {
        return Ok(());
    };
    let target = map_target(value);
    if args.append {
        bail!("--source-map cannot describe an --append: the map would cover only the new part");
    }
    let mut map = match output {
        Some(path) => SourceMapOptions::for_output(path, target),
        None if target == MapTarget::Beside => {
            bail!("--source-map needs =FILE or =inline when OUTPUT is standard output")
        }
        // Standard output has no place: the map's URL is relative to the
        // current directory.
        None => {
            let mut map = SourceMapOptions::for_output(Path::new("-"), target);
            map.file = None;
            map
        }
    };
    if let Some(style) = maps.source_map_comment {
        map.comment = match style {
            MapCommentArg::Js => CommentStyle::Js,
            MapCommentArg::Css => CommentStyle::Css,
            MapCommentArg::None => CommentStyle::None,
        };
    }
    map.source_root = maps.source_root.clone();
    map.sources_content = maps.sources_content;
    options.source_map = Some(map);
    Ok(())
}

/// What `--source-map[=VALUE]` asks for.
#[cfg(feature = "source-map")]
pub(crate) fn map_target(value: &str) -> smerge::sourcemap::MapTarget {
    use smerge::sourcemap::MapTarget;
    match value {
        "" => MapTarget::Beside,
        "inline" => MapTarget::Inline,
        path => MapTarget::File(std::path::PathBuf::from(path)),
    }
}

/// Without source maps built in, `--source-map` is an error.
#[cfg(not(feature = "source-map"))]
pub(crate) fn add_source_map(
    args: &MergeArgs,
    _output: Option<&Path>,
    _options: &mut MergeOptions,
) -> anyhow::Result<()> {
    if args.maps.source_map.is_some() {
        anyhow::bail!("this smerge was built without source maps (the source-map feature)");
    }
    Ok(())
}
