//! The views a handler gets: `Session`, `Event` and `Req`. Their fixed
//! fields arrive with the call and cost nothing; the other accessors read
//! from the host's input for the call in progress. Handlers receive them
//! by reference and the SDK makes them inside the call, so the borrow
//! checker keeps a view from outliving its call; what the accessors
//! return (`String`, `Vec<u8>`) is yours to keep.
//!
//! Each accessor has a `try_` form that returns the host's error: the
//! plain form gives an empty value instead, which is what a policy usually
//! wants.

use crate::abi;
use crate::host::{self, field, text, Result};
use crate::imports as imp;

/// Where an event came from, as in strfry's plugin input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A client on IPv4.
    IP4,
    /// A client on IPv6.
    IP6,
    /// An import.
    Import,
    /// A stream from another relay.
    Stream,
    /// A sync.
    Sync,
    /// Already stored.
    Stored,
    /// A source this SDK does not know (a newer relay).
    Other(i32),
}

impl Source {
    fn from_flags(flags: i32) -> Source {
        match flags & abi::FLAG_SOURCE_MASK {
            abi::SOURCE_IP4 => Source::IP4,
            abi::SOURCE_IP6 => Source::IP6,
            abi::SOURCE_IMPORT => Source::Import,
            abi::SOURCE_STREAM => Source::Stream,
            abi::SOURCE_SYNC => Source::Sync,
            abi::SOURCE_STORED => Source::Stored,
            n => Source::Other(n),
        }
    }

    /// The source's name as strfry writes it: `IP4`, `IP6`, `Import`...
    pub fn name(&self) -> &'static str {
        match self {
            Source::IP4 => "IP4",
            Source::IP6 => "IP6",
            Source::Import => "Import",
            Source::Stream => "Stream",
            Source::Sync => "Sync",
            Source::Stored => "Stored",
            Source::Other(_) => "Other",
        }
    }
}

/// A client connection, as a handler sees it.
#[derive(Debug)]
pub struct Session {
    pub(crate) id: u64,
    pub(crate) flags: i32,
}

impl Session {
    /// The relay's id for the session, unique for the life of the relay
    /// process; 0 when the call has no session (an import).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Reports whether the session has authenticated (NIP-42), without a
    /// host call.
    pub fn is_authed(&self) -> bool {
        self.flags & abi::FLAG_AUTHED != 0
    }

    /// Reports whether the call belongs to a client session.
    pub fn has_session(&self) -> bool {
        self.flags & abi::FLAG_SESSION != 0
    }

    /// Where the call comes from: `IP4` or `IP6` for a client.
    pub fn source(&self) -> Source {
        Source::from_flags(self.flags)
    }

    /// The pubkey (hex) the session authenticated as, or "".
    pub fn authed(&self) -> String {
        self.try_authed().unwrap_or_default()
    }

    /// `authed` with the host's error; "" without a host call before AUTH.
    pub fn try_authed(&self) -> Result<String> {
        if !self.is_authed() {
            return Ok(String::new());
        }
        field("Session::authed", abi::FIELD_AUTHED).map(text)
    }

    /// The client's address ("203.0.113.7"), or "".
    pub fn ip(&self) -> String {
        self.try_ip().unwrap_or_default()
    }

    /// `ip` with the host's error (`ERR_NOT_FOUND` without a client).
    pub fn try_ip(&self) -> Result<String> {
        field("Session::ip", abi::FIELD_IP).map(text)
    }

    /// The unix time the session connected, or 0.
    pub fn connected_at(&self) -> i64 {
        self.try_connected_at().unwrap_or(0)
    }

    /// `connected_at` with the host's error.
    pub fn try_connected_at(&self) -> Result<i64> {
        let s = field("Session::connected_at", abi::FIELD_CONNECTED_AT).map(text)?;
        s.parse().map_err(|_| host::Error { op: "Session::connected_at", code: abi::ERR_INTERNAL })
    }

    /// One of the request headers the relay passes on ("origin",
    /// "user-agent", "x-forwarded-for"; lower case), or "".
    pub fn header(&self, name: &str) -> String {
        self.try_header(name).unwrap_or_default()
    }

    /// `header` with the host's error: `ERR_NOT_FOUND` for a header the
    /// request did not have.
    pub fn try_header(&self, name: &str) -> Result<String> {
        host::fetch("Session::header", |p, n| unsafe {
            imp::relayd_get_header(name.as_ptr(), name.len() as i32, p, n)
        })
        .map(text)
    }
}

/// The event a handler decides on (event_pre, event, auth, deliver).
#[derive(Debug)]
pub struct Event {
    pub(crate) session: Session,
    pub(crate) kind: i32,
    pub(crate) created_at: i64,
    pub(crate) received_at: i64,
    pub(crate) content_len: i32,
    pub(crate) tag_count: i32,
}

impl Event {
    /// The event kind.
    pub fn kind(&self) -> u32 {
        self.kind as u32
    }
    /// The event's created_at (unix seconds).
    pub fn created_at(&self) -> i64 {
        self.created_at
    }
    /// When the relay read the event (unix seconds), or 0 outside the
    /// event hooks.
    pub fn received_at(&self) -> i64 {
        self.received_at
    }
    /// The content's length in bytes.
    pub fn content_len(&self) -> usize {
        self.content_len as usize
    }
    /// The number of tags.
    pub fn tag_count(&self) -> usize {
        self.tag_count as usize
    }
    /// Where the event came from.
    pub fn source(&self) -> Source {
        self.session.source()
    }
    /// The session the event came from or goes to.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The event id (hex).
    pub fn id(&self) -> String {
        self.try_id().unwrap_or_default()
    }
    /// `id` with the host's error.
    pub fn try_id(&self) -> Result<String> {
        field("Event::id", abi::FIELD_EVENT_ID).map(text)
    }
    /// The author's pubkey (hex).
    pub fn pubkey(&self) -> String {
        self.try_pubkey().unwrap_or_default()
    }
    /// `pubkey` with the host's error.
    pub fn try_pubkey(&self) -> Result<String> {
        field("Event::pubkey", abi::FIELD_PUBKEY).map(text)
    }
    /// The signature (hex).
    pub fn sig(&self) -> String {
        self.try_sig().unwrap_or_default()
    }
    /// `sig` with the host's error.
    pub fn try_sig(&self) -> Result<String> {
        field("Event::sig", abi::FIELD_SIG).map(text)
    }
    /// The content.
    pub fn content(&self) -> String {
        self.try_content().unwrap_or_default()
    }
    /// `content` with the host's error.
    pub fn try_content(&self) -> Result<String> {
        field("Event::content", abi::FIELD_CONTENT).map(text)
    }
    /// Tag `i` (0 ≤ i < tag_count), e.g. `["e", "<id>", "<relay>"]`, or
    /// `None` past the last.
    pub fn tag(&self, i: usize) -> Option<Vec<String>> {
        self.try_tag(i).ok()
    }
    /// `tag` with the host's error (`ERR_NOT_FOUND` past the last tag).
    pub fn try_tag(&self, i: usize) -> Result<Vec<String>> {
        if i >= self.tag_count() {
            return Err(host::Error { op: "Event::tag", code: abi::ERR_NOT_FOUND });
        }
        let b = host::fetch("Event::tag", |p, n| unsafe { imp::relayd_get_tag(i as i32, p, n) })?;
        Ok(text(b).split('\0').map(String::from).collect())
    }
    /// Every tag.
    pub fn tags(&self) -> Vec<Vec<String>> {
        self.try_tags().unwrap_or_default()
    }
    /// `tags` with the host's error.
    pub fn try_tags(&self) -> Result<Vec<Vec<String>>> {
        (0..self.tag_count()).map(|i| self.try_tag(i)).collect()
    }
    /// The second element of the first tag named `name` ("d", "p",
    /// "expiration"...).
    pub fn tag_value(&self, name: &str) -> Option<String> {
        self.try_tag_value(name).ok().flatten()
    }
    /// `tag_value` with the host's error.
    pub fn try_tag_value(&self, name: &str) -> Result<Option<String>> {
        for i in 0..self.tag_count() {
            let mut t = self.try_tag(i)?;
            if t.len() >= 2 && t[0] == name {
                return Ok(Some(t.swap_remove(1)));
            }
        }
        Ok(None)
    }
    /// The tags as a JSON array of arrays.
    pub fn tags_json(&self) -> Vec<u8> {
        self.try_tags_json().unwrap_or_default()
    }
    /// `tags_json` with the host's error.
    pub fn try_tags_json(&self) -> Result<Vec<u8>> {
        field("Event::tags_json", abi::FIELD_TAGS)
    }
    /// The whole event as JSON, as stored.
    pub fn raw(&self) -> Vec<u8> {
        self.try_raw().unwrap_or_default()
    }
    /// `raw` with the host's error.
    pub fn try_raw(&self) -> Result<Vec<u8>> {
        field("Event::raw", abi::FIELD_RAW)
    }
    /// The event in strfry's plugin input format (event hooks).
    pub fn strfry_input(&self) -> Vec<u8> {
        self.try_strfry_input().unwrap_or_default()
    }
    /// `strfry_input` with the host's error (`ERR_NOT_FOUND` outside the
    /// event_pre and event hooks).
    pub fn try_strfry_input(&self) -> Result<Vec<u8>> {
        field("Event::strfry_input", abi::FIELD_STRFRY_INPUT)
    }
    /// The subscription id of a delivery, or "".
    pub fn sub_id(&self) -> String {
        self.try_sub_id().unwrap_or_default()
    }
    /// `sub_id` with the host's error (`ERR_NOT_FOUND` outside deliver).
    pub fn try_sub_id(&self) -> Result<String> {
        field("Event::sub_id", abi::FIELD_SUB_ID).map(text)
    }
}

/// A REQ or COUNT a handler decides on.
#[derive(Debug)]
pub struct Req {
    pub(crate) session: Session,
    pub(crate) count: i32,
}

impl Req {
    /// The session that sent the request.
    pub fn session(&self) -> &Session {
        &self.session
    }
    /// The number of filters.
    pub fn filter_count(&self) -> usize {
        self.count as usize
    }
    /// The subscription id.
    pub fn sub_id(&self) -> String {
        self.try_sub_id().unwrap_or_default()
    }
    /// `sub_id` with the host's error.
    pub fn try_sub_id(&self) -> Result<String> {
        field("Req::sub_id", abi::FIELD_SUB_ID).map(text)
    }
    /// The filters as a JSON array of filter objects; parse them with
    /// [`crate::json::parse`].
    pub fn filters_json(&self) -> Vec<u8> {
        self.try_filters_json().unwrap_or_default()
    }
    /// `filters_json` with the host's error.
    pub fn try_filters_json(&self) -> Result<Vec<u8>> {
        field("Req::filters_json", abi::FIELD_FILTERS)
    }
}
