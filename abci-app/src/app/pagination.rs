//! `cosmos.base.query.v1beta1` pagination over a key prefix, as the SDK's `query.Paginate`.

use std::ops::Bound;

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

use super::error::QueryError;
use crate::store::{bound_as_ref, prefix_end, StateRead};

pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;
/// The most entries one request may step over (`offset`) or count (`count_total`). A query is
/// free to send, so its scan must be bounded; past this, page with `next_key`.
pub const MAX_SCAN: u64 = 100_000;

/// Entries under `prefix` (keys returned without the prefix) for one page.
pub fn paginate<S: StateRead>(
    state: &S,
    prefix: &[u8],
    page: Option<&PageRequest>,
) -> Result<(Vec<(Vec<u8>, Vec<u8>)>, PageResponse), QueryError> {
    let default = PageRequest::default();
    let page = page.unwrap_or(&default);
    if !page.key.is_empty() && page.offset > 0 {
        return Err(QueryError::InvalidArgument(
            "paginate: invalid request, either offset or key is expected, got both".to_string(),
        ));
    }
    if page.offset > MAX_SCAN {
        return Err(QueryError::InvalidArgument(format!(
            "paginate: offset {} is over {MAX_SCAN}; page with next_key instead",
            page.offset
        )));
    }
    let limit = match page.limit {
        0 => DEFAULT_LIMIT,
        l => l.min(MAX_LIMIT),
    } as usize;
    let end = prefix_end(prefix);
    let start_key = [prefix, page.key.as_slice()].concat();
    let mut lower: Bound<Vec<u8>> = Bound::Included(start_key);
    let mut upper: Bound<Vec<u8>> = match end {
        Some(e) => Bound::Excluded(e),
        None => Bound::Unbounded,
    };
    if page.reverse && !page.key.is_empty() {
        // In reverse, `key` is the first (highest) key of the page.
        upper = Bound::Included([prefix, page.key.as_slice()].concat());
        lower = Bound::Included(prefix.to_vec());
    }
    let mut skipped = 0u64;
    let mut out = Vec::new();
    let mut next_key = Vec::new();
    loop {
        let found = state.first_in_range(bound_as_ref(&lower), bound_as_ref(&upper), page.reverse);
        let Some((key, value)) = found else { break };
        if page.reverse {
            upper = Bound::Excluded(key.clone());
        } else {
            lower = Bound::Excluded(key.clone());
        }
        if skipped < page.offset {
            skipped += 1;
            continue;
        }
        let suffix = key[prefix.len()..].to_vec();
        if out.len() == limit {
            next_key = suffix;
            break;
        }
        out.push((suffix, value));
    }
    let total = if page.count_total {
        count(state, prefix)?
    } else {
        0
    };
    Ok((out, PageResponse { next_key, total }))
}

/// The number of entries under `prefix`, one at a time (nothing is collected), up to
/// [`MAX_SCAN`].
fn count<S: StateRead>(state: &S, prefix: &[u8]) -> Result<u64, QueryError> {
    let upper = match prefix_end(prefix) {
        Some(e) => Bound::Excluded(e),
        None => Bound::Unbounded,
    };
    let mut lower = Bound::Included(prefix.to_vec());
    let mut n = 0u64;
    while let Some((key, _)) =
        state.first_in_range(bound_as_ref(&lower), bound_as_ref(&upper), false)
    {
        n += 1;
        if n > MAX_SCAN {
            return Err(QueryError::InvalidArgument(format!(
                "paginate: count_total over more than {MAX_SCAN} entries is not served"
            )));
        }
        lower = Bound::Excluded(key);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Empty, Overlay, StateWrite};

    fn state(n: u64) -> Overlay<Empty> {
        let mut o = Overlay::new(Empty);
        for i in 0..n {
            o.put(format!("p/{i:08}").into_bytes(), vec![0; 16]);
        }
        o.put(b"q/0".to_vec(), vec![1]);
        o
    }

    #[test]
    fn offsets_and_counts_are_bounded() {
        let s = state(MAX_SCAN + 1);
        let page = |offset, count_total| PageRequest {
            offset,
            limit: 2,
            count_total,
            ..Default::default()
        };
        let (rows, res) = paginate(&s, b"p/", Some(&page(MAX_SCAN, false))).unwrap();
        assert_eq!(rows.len(), 1, "the last entry is past offset {MAX_SCAN}");
        assert!(paginate(&s, b"p/", Some(&page(MAX_SCAN + 1, false))).is_err());
        assert_eq!(res.total, 0);
        let e = paginate(&s, b"p/", Some(&page(0, true))).unwrap_err();
        assert!(e.to_string().contains("count_total"), "{e}");
        let small = state(5);
        let (rows, res) = paginate(&small, b"p/", Some(&page(1, true))).unwrap();
        assert_eq!((rows.len(), res.total), (2, 5));
    }
}
