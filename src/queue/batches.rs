//! Bodies packed into SendMessageBatch calls: at most [`MAX_ENTRIES`]
//! entries and [`MAX_BATCH_BYTES`] of bodies per call (SQS's limits; the
//! smaller, long-standing size limit, which every queue accepts).

/// Entries per SendMessageBatch call.
pub const MAX_ENTRIES: usize = 10;
/// Bytes of message bodies per call, and so per message.
pub const MAX_BATCH_BYTES: usize = 262_144;

/// The calls that send messages of these `sizes` (bytes), each a list of
/// indices into it, in order; and the indices of messages too large for
/// any call.
pub fn batches(sizes: &[usize]) -> (Vec<Vec<usize>>, Vec<usize>) {
    let (mut calls, mut too_large) = (Vec::new(), Vec::new());
    let (mut current, mut bytes) = (Vec::new(), 0);
    for (i, &size) in sizes.iter().enumerate() {
        if size > MAX_BATCH_BYTES {
            too_large.push(i);
            continue;
        }
        if current.len() == MAX_ENTRIES || bytes + size > MAX_BATCH_BYTES {
            calls.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(i);
        bytes += size;
    }
    if !current.is_empty() {
        calls.push(current);
    }
    (calls, too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_entries_and_the_size_limit_per_call() {
        let small: Vec<String> = (0..23).map(|i| format!("{{\"n\":{i}}}")).collect();
        let sizes: Vec<usize> = small.iter().map(String::len).collect();
        let (calls, too_large) = batches(&sizes);
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 3]);
        assert_eq!(
            calls.concat(),
            (0..23).collect::<Vec<_>>(),
            "each once, in order"
        );
        assert!(too_large.is_empty());

        let sizes = [100_000, 100_000, 100_000, MAX_BATCH_BYTES + 1];
        let (calls, too_large) = batches(&sizes);
        assert_eq!(
            calls,
            [vec![0, 1], vec![2]],
            "two of 100 KB fit, three do not"
        );
        assert_eq!(too_large, [3]);
    }
}
