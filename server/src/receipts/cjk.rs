//! Japanese (and Chinese) text as Tesseract reads it: it puts a space between characters of a
//! word ("お 支払 金額", "ファ ミリ ー ス ト ア"), and after the comma of a grouped amount
//! ("¥3, 320"). Such lines are tidied before labels, amounts and the supplier are looked for.

/// Characters of Chinese or Japanese script: kanji, hiragana, katakana and the long-vowel mark,
/// and the full-width forms.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}' // hiragana, katakana, ー
        | '\u{3400}'..='\u{4dbf}' // kanji, extension A
        | '\u{4e00}'..='\u{9fff}' // kanji
        | '\u{ff00}'..='\u{ffef}' // full-width forms
    )
}

/// The lines of a text in Japanese or Chinese script tidied ([`tidy`]); other texts are
/// returned as they are.
pub(crate) fn tidy_lines(lines: Vec<String>) -> Vec<String> {
    if !lines.iter().any(|l| l.chars().any(is_cjk)) {
        return lines;
    }
    lines.iter().map(|l| tidy(l)).collect()
}

/// A line of Japanese or Chinese text without the spaces Tesseract puts between its
/// characters, with amounts grouped as `3,320` again where it read `3, 320` or `3.320` (yen
/// and yuan amounts on a receipt have no decimals to tell apart), and with the yen sign where
/// it read a backslash before an amount (in the Japanese character sets the backslash's code is
/// the yen sign, and receipt fonts draw `¥` as Tesseract's models know `\`).
fn tidy(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let digit_at = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
    for (i, &c) in chars.iter().enumerate() {
        if c == '\\' && digit_at(i + 1) {
            out.push('¥');
            continue;
        }
        // "2.600": a thousands group after a dot, three digits and no more.
        if c == '.'
            && i >= 1
            && digit_at(i - 1)
            && (1..=3).all(|k| digit_at(i + k))
            && !digit_at(i + 4)
            && !chars.get(i + 4).is_some_and(|c| *c == '%' || *c == '.')
        {
            out.push(',');
            continue;
        }
        if c == ' ' && i > 0 {
            let before = chars[i - 1];
            let after = chars.get(i + 1).copied().unwrap_or(' ');
            let between_cjk = is_cjk(before) && is_cjk(after);
            // "3, 320": a thousands group after a comma, three digits and no more.
            let in_amount = before == ','
                && i >= 2
                && chars[i - 2].is_ascii_digit()
                && (1..=3).all(|k| chars.get(i + k).is_some_and(char::is_ascii_digit))
                && !chars.get(i + 4).is_some_and(char::is_ascii_digit);
            if between_cjk || in_amount {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_inside_japanese_words_and_grouped_amounts_go() {
        assert_eq!(
            tidy("ファ ミリ ー ス ト ア 緑町 店"),
            "ファミリーストア緑町店"
        );
        assert_eq!(tidy("お 支払 金額 ¥3, 320"), "お支払金額 ¥3,320");
        assert_eq!(tidy("合計 1, 2345"), "合計 1, 2345");
        assert_eq!(tidy("合計 \\3, 278"), "合計 ¥3,278");
        assert_eq!(tidy("合計 \\2.600"), "合計 ¥2,600");
        assert_eq!(tidy("税率 8.5%"), "税率 8.5%");
        // A table row of a Japanese receipt is tidied too; a text in Latin script is not.
        let lines = |text: &str| tidy_lines(text.lines().map(str::to_string).collect());
        assert_eq!(
            lines("お 支払 金額\nA 10% 2, 309 231 2,540"),
            ["お支払金額", "A 10% 2,309 231 2,540"]
        );
        assert_eq!(lines("Qty 2, 309 items"), ["Qty 2, 309 items"]);
    }
}
