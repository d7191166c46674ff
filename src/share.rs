//! Share links: a lesson's text, compressed, in the URL (`#/edit?lesson=1.PAYLOAD`). The payload
//! is format `1`: the UTF-8 text compressed with raw DEFLATE by the browser's own
//! `CompressionStream` (no compressor in the bundle), in URL-safe base64 without padding.
//! A link longer than [`MAX_LINK`] characters is refused before it is decoded; a damaged link,
//! a link of a newer format or one that is too long each get their own message.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The format this page writes and reads.
pub const FORMAT: u32 = 1;

/// The longest payload a share link may carry, in characters: about 24 KB compressed, which
/// holds every shipped lesson (the longest, 45 KB of text, makes a link of about 14,000).
/// Browsers accept much longer fragments, but chat tools and mail clients cut long links.
pub const MAX_LINK: usize = 32_000;

/// The longest lesson text a link may unpack to (a guard against a crafted link).
pub const MAX_TEXT: usize = 1_000_000;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = CompressionStream)]
    type Compressor;
    #[wasm_bindgen(constructor, js_class = "CompressionStream", catch)]
    fn new(format: &str) -> Result<Compressor, JsValue>;

    #[wasm_bindgen(js_name = DecompressionStream)]
    type Decompressor;
    #[wasm_bindgen(constructor, js_class = "DecompressionStream", catch)]
    fn new(format: &str) -> Result<Decompressor, JsValue>;

    /// Either stream (a `GenericTransformStream`): its two ends.
    type Transform;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &Transform) -> web_sys::ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &Transform) -> web_sys::WritableStream;
}

/// Why a link could not be opened. Each says what the author can do; the editor keeps its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    TooLong(usize),
    Newer(u32),
    Damaged(String),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::TooLong(n) => write!(
                f,
                "This share link is too long ({n} characters; a link holds at most {MAX_LINK}). It may have been joined with other text when copied."
            ),
            LinkError::Newer(v) => write!(
                f,
                "This share link was made by a newer Racelab (link format {v}; this page reads format {FORMAT}). Open it with the newer page, or ask its author for the lesson file."
            ),
            LinkError::Damaged(why) => write!(
                f,
                "This share link is damaged ({why}): it was probably cut or changed when copied. Ask for the link again."
            ),
        }
    }
}

/// Splits a payload into its format and data, checking the length first.
pub fn split(payload: &str) -> Result<&str, LinkError> {
    if payload.len() > MAX_LINK {
        return Err(LinkError::TooLong(payload.len()));
    }
    let (v, data) = payload
        .split_once('.')
        .ok_or_else(|| LinkError::Damaged("no format number".into()))?;
    let v: u32 = v
        .parse()
        .map_err(|_| LinkError::Damaged(format!("the format `{v:.10}` is not a number")))?;
    match v {
        FORMAT => Ok(data),
        v if v > FORMAT => Err(LinkError::Newer(v)),
        v => Err(LinkError::Damaged(format!("there is no link format {v}"))),
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding.
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Reverses [`base64url`]; names the first character that is not in its alphabet.
pub fn unbase64url(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for (i, c) in s.bytes().enumerate() {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or_else(|| format!("character {} is not part of a link", i + 1))?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    if bits >= 6 {
        return Err("it ends in the middle of a byte".into());
    }
    Ok(out)
}

fn js_error(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the browser refused it".into())
}

/// Pipes `bytes` through a (de)compression stream.
async fn through(bytes: &[u8], transform: JsValue) -> Result<Vec<u8>, String> {
    let parts = Array::of1(&Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(js_error)?;
    let t: Transform = transform.unchecked_into();
    let pair = web_sys::ReadableWritablePair::new(&t.readable(), &t.writable());
    let out = blob.stream().pipe_through(&pair);
    let response = web_sys::Response::new_with_opt_readable_stream(Some(&out)).map_err(js_error)?;
    let buffer = JsFuture::from(response.array_buffer().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// The share-link payload of a lesson text: `1.` and the compressed text.
pub async fn pack(text: &str) -> Result<String, String> {
    let c = Compressor::new("deflate-raw").map_err(js_error)?;
    let bytes = through(text.as_bytes(), c.into()).await?;
    Ok(format!("{FORMAT}.{}", base64url(&bytes)))
}

/// The lesson text of a share-link payload.
pub async fn unpack(payload: &str) -> Result<String, LinkError> {
    let data = split(payload)?;
    let bytes = unbase64url(data).map_err(LinkError::Damaged)?;
    let d = Decompressor::new("deflate-raw").map_err(|e| LinkError::Damaged(js_error(e)))?;
    let text = through(&bytes, d.into())
        .await
        .map_err(|_| LinkError::Damaged("its data does not unpack".into()))?;
    if text.len() > MAX_TEXT {
        return Err(LinkError::Damaged(format!(
            "it unpacks to more than {MAX_TEXT} bytes"
        )));
    }
    String::from_utf8(text).map_err(|_| LinkError::Damaged("it does not unpack to text".into()))
}
