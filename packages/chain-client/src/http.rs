//! A minimal HTTP/1.1 client over `std::net` for the gateway's API on
//! `http://` URLs (loopback or a private network): one request per
//! connection (`connection: close`), `Content-Length` or chunked answers.
//! Blocking: async callers (the matcher's agent) use
//! `tokio::task::spawn_blocking`; the `aip` CLI calls it directly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long a connect, a read or a write may stall.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends `method` to `url` with an optional JSON `body`; returns the status
/// and the body of the answer.
pub fn request(method: &str, url: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other(format!("{url}: only http:// URLs are supported")))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let addr = std::net::ToSocketAddrs::to_socket_addrs(host)?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("{host}: no address")))?;
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    let body = body.unwrap_or("");
    let req = format!(
        "{method} /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_response(&raw)
}

/// Splits a raw HTTP/1.1 answer into status and body (decoding a chunked body).
pub fn parse_response(raw: &[u8]) -> std::io::Result<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of the HTTP header"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP status in {head:?}")))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        return Ok((status, body.to_string()));
    }
    let mut out = String::new();
    let mut rest = body;
    loop {
        let (size, after) = rest
            .split_once("\r\n")
            .ok_or_else(|| std::io::Error::other("truncated chunk size"))?;
        let size = usize::from_str_radix(size.trim(), 16)
            .map_err(|e| std::io::Error::other(format!("bad chunk size {size:?}: {e}")))?;
        if size == 0 {
            return Ok((status, out));
        }
        let chunk = after
            .get(..size)
            .ok_or_else(|| std::io::Error::other("truncated chunk"))?;
        out.push_str(chunk);
        rest = after.get(size + 2..).unwrap_or("");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_and_a_chunked_answer_are_read() {
        let (s, b) = parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!((s, b.as_str()), (200, "{}"));
        let raw = b"HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{\"a\r\n2\r\n\":\r\n1\r\n1\r\n1\r\n}\r\n0\r\n\r\n";
        let (s, b) = parse_response(raw).unwrap();
        assert_eq!((s, b.as_str()), (404, "{\"a\":1}"));
    }

    #[test]
    fn a_broken_answer_is_an_error_naming_what_is_missing() {
        let e = parse_response(b"HTTP/1.1 200 OK\r\n").unwrap_err();
        assert_eq!(e.to_string(), "no end of the HTTP header");
        let e = parse_response(b"garbage\r\n\r\n").unwrap_err();
        assert_eq!(e.to_string(), "no HTTP status in \"garbage\"");
        let e = request("GET", "https://x/y", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "https://x/y: only http:// URLs are supported"
        );
    }
}
