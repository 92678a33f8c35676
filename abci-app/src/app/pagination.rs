//! `cosmos.base.query.v1beta1` pagination over a key prefix, as the SDK's `query.Paginate`.

use std::ops::Bound;

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

use super::error::QueryError;
use crate::store::{bound_as_ref, prefix_end, StateRead};

pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;

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
        state.scan_prefix(prefix, None, usize::MAX).len() as u64
    } else {
        0
    };
    Ok((out, PageResponse { next_key, total }))
}
