//! The stream pane's filter as people type it, read into a stream.

use roost_shared::validate::location_boxes;
use roost_shared::{Filter, Sample, Stream};

/// Reads the stream pane's filter: `firehose`, `sample N`, or clauses split by
/// `;`: `track: phrase, phrase`, `follow: login login`, `loc: w,s,e,n w,s,e,n`.
/// Text with no clause name is `track`.
pub fn parse_filter(text: &str) -> Result<Stream, String> {
    let text = text.trim();
    if text == "firehose" {
        return Ok(Stream::Firehose);
    }
    if let Some(p) = text.strip_prefix("sample") {
        let percent: u8 = p
            .trim()
            .trim_end_matches('%')
            .parse()
            .map_err(|_| "sample takes a percent, 1 to 100".to_owned())?;
        return Ok(Stream::Sample(Sample { percent }));
    }
    let mut filter = Filter::default();
    for clause in text.split(';').map(str::trim).filter(|c| !c.is_empty()) {
        let (name, rest) = match clause.split_once(':') {
            Some((name, rest))
                if ["track", "follow", "loc", "locations"].contains(&name.trim()) =>
            {
                (name.trim(), rest)
            }
            _ => ("track", clause),
        };
        match name {
            "track" => filter.track.extend(
                rest.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            ),
            "follow" => filter.follow.extend(
                rest.split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|l| !l.is_empty())
                    .map(|l| l.trim_start_matches('@').to_owned()),
            ),
            _ => filter.locations.extend(location_boxes(rest)?),
        }
    }
    if filter.follow.is_empty() && filter.track.is_empty() && filter.locations.is_empty() {
        return Err(
            "type words to track, or firehose, sample N, follow: login, loc: w,s,e,n".into(),
        );
    }
    Ok(Stream::Filter(filter))
}
