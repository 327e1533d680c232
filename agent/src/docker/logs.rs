//! Docker's multiplexed log stream: 8-byte frame headers (stream id, 3 zero bytes, big-endian
//! length) before each payload, used for containers without a TTY.

/// Joins the payloads of all frames (stdout and stderr interleaved as Docker sent them).
/// A truncated last frame keeps what arrived.
pub fn demux(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while rest.len() >= 8 {
        let stream = rest[0];
        if stream > 2 || rest[1..4] != [0, 0, 0] {
            // Not a multiplexed stream after all (a TTY container): keep the bytes as they are.
            out.extend_from_slice(rest);
            return String::from_utf8_lossy(&out).into_owned();
        }
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = (8 + len).min(rest.len());
        out.extend_from_slice(&rest[8..end]);
        rest = &rest[end..];
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The last `n` lines of `text`.
pub fn last_lines(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stream: u8, payload: &str) -> Vec<u8> {
        let mut f = vec![stream, 0, 0, 0];
        f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        f.extend_from_slice(payload.as_bytes());
        f
    }

    #[test]
    fn frames_from_both_streams_are_joined_in_order() {
        let mut raw = frame(1, "listening on 8080\n");
        raw.extend(frame(2, "error: no /health\n"));
        raw.extend(frame(1, "bye\n"));
        assert_eq!(demux(&raw), "listening on 8080\nerror: no /health\nbye\n");
    }

    #[test]
    fn truncated_and_raw_streams_degrade_gracefully() {
        let mut raw = frame(1, "whole\n");
        raw.extend(&frame(2, "partial line\n")[..12]);
        assert_eq!(demux(&raw), "whole\npart");
        assert_eq!(demux(b"plain tty output\n"), "plain tty output\n");
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        assert_eq!(last_lines("a\nb\nc\n", 2), vec!["b", "c"]);
        assert_eq!(last_lines("a", 5), vec!["a"]);
    }
}
