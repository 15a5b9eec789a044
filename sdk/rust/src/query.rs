//! `store_query` (`abi::FEATURE_QUERY`): the stored events matching a
//! filter, read with the `(buf, buf_limit)` retry rule and walked without
//! copying.

use crate::abi;
use crate::host::{fetch_cap, Error, Result};
use crate::imports as imp;

/// The result of [`store_query`]: the host's bytes, checked, and walked by
/// [`QueryResult::events`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryResult {
    buf: Vec<u8>,
    count: usize,
    flags: u32,
}

impl QueryResult {
    /// Checks a `store_query` result (header, then one length-prefixed
    /// JSON per event, ABI.md "Store query") and keeps it. A result whose
    /// lengths run past its end, or whose count disagrees with its entries,
    /// is `ERR_INTERNAL`.
    pub fn parse(buf: Vec<u8>) -> Result<QueryResult> {
        let bad = Err(Error { op: "store_query", code: abi::ERR_INTERNAL });
        let hl = abi::QUERY_HEADER_LEN as usize;
        if buf.len() < hl {
            return bad;
        }
        let count = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        let flags = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let (mut off, mut n) = (hl, 0usize);
        while off < buf.len() {
            let el = abi::QUERY_ENTRY_HEADER_LEN as usize;
            if buf.len() - off < el {
                return bad;
            }
            let len = u32::from_le_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]) as usize;
            off += el;
            if buf.len() - off < len {
                return bad;
            }
            off += len;
            n += 1;
        }
        if n != count {
            return bad;
        }
        Ok(QueryResult { buf, count, flags })
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Reports whether no event matched.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Reports whether a host bound (`query_max_events`, `query_max_bytes`)
    /// cut the result short: more events match, page with the filter.
    pub fn truncated(&self) -> bool {
        self.flags & abi::QUERY_TRUNCATED as u32 != 0
    }

    /// The events' JSON, newest first, each exactly as stored (parse the
    /// ones you need with [`crate::json`]).
    pub fn events(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut off = abi::QUERY_HEADER_LEN as usize;
        std::iter::from_fn(move || {
            if off >= self.buf.len() {
                return None;
            }
            let b = &self.buf[off..];
            let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
            let el = abi::QUERY_ENTRY_HEADER_LEN as usize;
            off += el + len;
            Some(&b[el..el + len])
        })
    }
}

/// Reads the stored events matching one NIP-01 filter (a JSON object),
/// newest first, as the relay answers a REQ. The first try reads into 4 KiB;
/// a longer result is read again, with the same filter bytes, into a buffer
/// of its length (the host keeps the result until the end of the call, so
/// the retry does not query the store again). Errors: `ERR_UNAVAILABLE`
/// without a store, `ERR_TIMEOUT` past `query_timeout_ms`, `ERR_INVALID`
/// for a filter that is not a JSON object, `ERR_TOO_LARGE` for one over
/// `abi::MAX_FILTERS_LEN`.
pub fn store_query(filter_json: &str) -> Result<QueryResult> {
    let buf = fetch_cap("store_query", 4096, |p, n| unsafe {
        imp::relayd_store_query(filter_json.as_ptr(), filter_json.len() as i32, p, n)
    })?;
    QueryResult::parse(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(count: u32, flags: u32, events: &[&str]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&count.to_le_bytes());
        b.extend_from_slice(&flags.to_le_bytes());
        for e in events {
            b.extend_from_slice(&(e.len() as u32).to_le_bytes());
            b.extend_from_slice(e.as_bytes());
        }
        b
    }

    #[test]
    fn walks_events() {
        let r = QueryResult::parse(result(2, 0, &[r#"{"id":"a"}"#, "{}"])).unwrap();
        assert_eq!(r.len(), 2);
        assert!(!r.truncated());
        let got: Vec<&[u8]> = r.events().collect();
        assert_eq!(got, vec![&br#"{"id":"a"}"#[..], &b"{}"[..]]);
    }

    #[test]
    fn empty_and_truncated() {
        let r = QueryResult::parse(result(0, 0, &[])).unwrap();
        assert!(r.is_empty());
        assert_eq!(r.events().count(), 0);
        let r = QueryResult::parse(result(1, abi::QUERY_TRUNCATED as u32, &["{}"])).unwrap();
        assert!(r.truncated());
    }

    #[test]
    fn refuses_bad_results() {
        let mut cut = result(1, 0, &["{}"]);
        cut.pop();
        for (name, b) in [
            ("short header", vec![0u8; 4]),
            ("count too high", result(2, 0, &["{}"])),
            ("count too low", result(0, 0, &["{}"])),
            ("entry past the end", cut),
            ("partial entry header", {
                let mut b = result(0, 0, &[]);
                b.extend_from_slice(&[1, 0]);
                b
            }),
        ] {
            assert!(QueryResult::parse(b).is_err(), "{name}");
        }
    }

    #[test]
    fn store_query_without_host() {
        assert_eq!(store_query("{}").unwrap_err().code, abi::ERR_UNAVAILABLE);
    }
}
