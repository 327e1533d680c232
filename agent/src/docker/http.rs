//! A minimal HTTP/1.1 client, generic over any byte stream.
//!
//! The agent talks to the Docker Engine over its unix socket and probes health URLs over TCP;
//! both need only one request per connection (`Connection: close`), so this is a request
//! writer plus a response reader that understands `Content-Length`, chunked transfer encoding
//! and read-until-close bodies. The body is a [`Read`] so that streaming endpoints
//! (`/images/create`, logs) are consumed as they arrive instead of buffered whole.

use std::io::{self, BufRead, BufReader, Read, Write};

/// Headers and body bytes are small on every endpoint we call; this bounds a broken peer.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// One request to send.
pub struct Request<'a> {
    pub method: &'a str,
    /// Path and query, already percent-encoded.
    pub target: &'a str,
    pub host: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<(&'a str, &'a [u8])>,
}

/// Writes `req` on `stream` with `Connection: close`.
pub fn write_request<W: Write>(stream: &mut W, req: &Request<'_>) -> io::Result<()> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: play-agent/{}\r\n",
        req.method,
        req.target,
        req.host,
        env!("CARGO_PKG_VERSION")
    );
    for (name, value) in &req.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    match req.body {
        Some((content_type, body)) => {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ));
            stream.write_all(head.as_bytes())?;
            stream.write_all(body)?;
        }
        None => {
            head.push_str("Content-Length: 0\r\n\r\n");
            stream.write_all(head.as_bytes())?;
        }
    }
    stream.flush()
}

/// A response whose body has not been read yet.
pub struct Response<R: Read> {
    pub status: u16,
    pub reason: String,
    pub body: Body<R>,
}

impl<R: Read> Response<R> {
    /// Reads the whole body (bounded by `limit` bytes).
    pub fn read_body(mut self, limit: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        (&mut self.body)
            .take(limit as u64 + 1)
            .read_to_end(&mut out)?;
        if out.len() > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("response body larger than {limit} bytes"),
            ));
        }
        Ok(out)
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn read_line<R: BufRead>(r: &mut R, budget: &mut usize) -> io::Result<String> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(*budget as u64)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed before the response head ended",
        ));
    }
    *budget = budget.saturating_sub(n);
    if !line.ends_with(b"\n") {
        return Err(invalid("response head too long or truncated"));
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| invalid("response head is not UTF-8"))
}

/// Reads the status line and headers; the body stays on the stream.
pub fn read_response<R: Read>(stream: R, head_request: bool) -> io::Result<Response<R>> {
    let mut reader = BufReader::new(stream);
    let mut budget = MAX_HEADER_BYTES;
    let status_line = read_line(&mut reader, &mut budget)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(invalid(format!("not an HTTP/1 response: {status_line:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line: {status_line:?}")))?;
    let reason = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("bad header line: {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let find = |n: &str| headers.iter().find(|(h, _)| h == n).map(|(_, v)| v.clone());
    let no_body = head_request || status == 204 || status == 304 || (100..200).contains(&status);
    let framing = if no_body {
        Framing::Length(0)
    } else if find("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        Framing::Chunked {
            left_in_chunk: 0,
            done: false,
        }
    } else if let Some(len) = find("content-length") {
        Framing::Length(
            len.parse()
                .map_err(|_| invalid(format!("bad Content-Length: {len:?}")))?,
        )
    } else {
        Framing::UntilClose
    };
    Ok(Response {
        status,
        reason,
        body: Body {
            inner: reader,
            framing,
        },
    })
}

enum Framing {
    Length(u64),
    Chunked { left_in_chunk: u64, done: bool },
    UntilClose,
}

/// A response body with its transfer framing removed.
pub struct Body<R: Read> {
    inner: BufReader<R>,
    framing: Framing,
}

impl<R: Read> Body<R> {
    /// Reads the size line of the next chunk; 0 means the last chunk (trailers are skipped).
    fn next_chunk_size(&mut self) -> io::Result<u64> {
        let mut budget = MAX_HEADER_BYTES;
        let line = read_line(&mut self.inner, &mut budget)?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size line: {line:?}")))?;
        if size == 0 {
            // Trailers, then the empty line that ends the message.
            while !read_line(&mut self.inner, &mut budget)?.is_empty() {}
        }
        Ok(size)
    }
}

impl<R: Read> Read for Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.framing {
            Framing::Length(0) => Ok(0),
            Framing::Length(left) => {
                let want = buf.len().min(left as usize);
                let n = self.inner.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("connection closed with {left} body bytes missing"),
                    ));
                }
                self.framing = Framing::Length(left - n as u64);
                Ok(n)
            }
            Framing::UntilClose => self.inner.read(buf),
            Framing::Chunked { done: true, .. } => Ok(0),
            Framing::Chunked {
                left_in_chunk,
                done: false,
            } => {
                let mut left = left_in_chunk;
                if left == 0 {
                    left = self.next_chunk_size()?;
                    if left == 0 {
                        self.framing = Framing::Chunked {
                            left_in_chunk: 0,
                            done: true,
                        };
                        return Ok(0);
                    }
                }
                let want = buf.len().min(left as usize);
                let n = self.inner.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed inside a chunk",
                    ));
                }
                left -= n as u64;
                if left == 0 {
                    let mut crlf = [0u8; 2];
                    self.inner.read_exact(&mut crlf)?;
                    if &crlf != b"\r\n" {
                        return Err(invalid("chunk not followed by CRLF"));
                    }
                }
                self.framing = Framing::Chunked {
                    left_in_chunk: left,
                    done: false,
                };
                Ok(n)
            }
        }
    }
}

/// Percent-encodes a query value or path segment (RFC 3986 unreserved characters pass).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn parse(raw: &str) -> Response<Cursor<Vec<u8>>> {
        read_response(Cursor::new(raw.as_bytes().to_vec()), false).unwrap()
    }

    #[test]
    fn content_length_body_stops_at_length() {
        let r = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA");
        assert_eq!(r.status, 200);
        assert_eq!(r.read_body(100).unwrap(), b"hello");
    }

    #[test]
    fn truncated_content_length_body_is_an_error() {
        let r = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
        assert!(r.read_body(100).is_err());
    }

    #[test]
    fn chunked_body_is_decoded_with_extensions_and_trailers() {
        let r = parse(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n",
        );
        assert_eq!(
            String::from_utf8(r.read_body(100).unwrap()).unwrap(),
            "Wikipedia in\r\n\r\nchunks."
        );
    }

    #[test]
    fn chunked_body_missing_crlf_is_an_error() {
        let r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n");
        assert!(r.read_body(100).is_err());
    }

    #[test]
    fn body_until_close_and_no_body_statuses() {
        let r = parse("HTTP/1.0 200 OK\r\n\r\nall of it");
        assert_eq!(r.read_body(100).unwrap(), b"all of it");
        let r = parse("HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(r.status, 204);
        assert!(r.read_body(100).unwrap().is_empty());
    }

    #[test]
    fn body_limit_is_enforced() {
        let r = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        assert!(r.read_body(4).is_err());
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(read_response(Cursor::new(b"SSH-2.0-x\r\n\r\n".to_vec()), false).is_err());
        assert!(read_response(
            Cursor::new(b"HTTP/1.1 200 OK\r\nbroken\r\n\r\n".to_vec()),
            false
        )
        .is_err());
        assert!(read_response(Cursor::new(b"HTTP/1.1 200".to_vec()), false).is_err());
    }

    #[test]
    fn streaming_json_over_chunks_yields_each_message() {
        // Docker splits progress messages across chunks arbitrarily.
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                   10\r\n{\"status\":\"Pull\"\r\n\
                   A\r\n}\r\n{\"id\":1\r\n\
                   2\r\n}\n\r\n0\r\n\r\n";
        let r = parse(raw);
        let msgs: Vec<serde_json::Value> = serde_json::Deserializer::from_reader(r.body)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            msgs,
            vec![
                serde_json::json!({"status": "Pull"}),
                serde_json::json!({"id": 1})
            ]
        );
    }

    #[test]
    fn request_is_written_with_length_and_close() {
        let mut out = Vec::new();
        write_request(
            &mut out,
            &Request {
                method: "POST",
                target: "/v1.41/auth",
                host: "docker",
                headers: vec![("X-A", "1".into())],
                body: Some(("application/json", b"{}")),
            },
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("POST /v1.41/auth HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n")
        );
        assert!(text.contains("X-A: 1\r\n"));
        assert!(text.ends_with("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
    }

    #[test]
    fn encode_escapes_reserved_characters() {
        assert_eq!(encode("a b/c:d@sha256"), "a%20b%2Fc%3Ad%40sha256");
    }
}
