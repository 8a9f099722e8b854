//! Answers are read with a cap: a server that sends an endless or huge body
//! fails that request as soon as the cap is passed instead of taking all
//! of the machine's memory (docs/reliability.md "Hostile servers").

/// Far above any answer OroSync asks for (a page of 1000 ids, a `$batch`
/// of 20 items with their bodies).
pub const MAX_BODY: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("answer larger than {} MiB (not read further)", .0 / (1024 * 1024))]
    TooLarge(u64),
    #[error("{}", super::describe(.0))]
    Transport(#[source] reqwest::Error),
}

/// The whole body of `resp`, or `TooLarge` as soon as it passes `cap` bytes
/// (at once when its Content-Length says it will); the rest is not read.
pub async fn read_capped(mut resp: reqwest::Response, cap: u64) -> Result<Vec<u8>, BodyError> {
    let announced = resp.content_length();
    if announced.is_some_and(|n| n > cap) {
        return Err(BodyError::TooLarge(cap));
    }
    // What the server announced (already known to be within the cap), so a
    // normal answer is read without growing the buffer.
    let mut out = Vec::with_capacity(announced.unwrap_or(0) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        if out.len() as u64 + chunk.len() as u64 > cap {
            return Err(BodyError::TooLarge(cap));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
