//! "Did you mean" suggestions for misspelt keywords, modules and options.

/// The candidate closest to `word`, if it is close enough to be a plausible typo: at most one
/// edit for short words, two for words of six letters or more (transpositions count as one).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_lower = word.to_ascii_lowercase();
    let limit = if word.chars().count() >= 6 { 2 } else { 1 };
    candidates
        .into_iter()
        .filter(|c| !c.starts_with('_'))
        .map(|c| (strsim::damerau_levenshtein(&word_lower, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_words_are_suggested_far_ones_are_not() {
        let keywords = ["notify", "name", "when", "register"];
        assert_eq!(did_you_mean("notfy", keywords), Some("notify"));
        assert_eq!(did_you_mean("regsiter", keywords), Some("register"));
        assert_eq!(did_you_mean("Name", keywords), Some("name"));
        assert_eq!(did_you_mean("dset", ["dest", "src"]), Some("dest"));
        assert_eq!(did_you_mean("banana", keywords), None);
        assert_eq!(did_you_mean("x", ["_raw_params"]), None);
    }
}
