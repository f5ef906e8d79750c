//! The supplier: the first line near the top that reads like a business
//! name (not a heading, date, address, phone number or registration).

use super::ocr_language::language_of;
use super::suggest::Suggestion;
use super::supplier_words::{
    ACCENT_DROPPED, BUSINESS_WORDS, BUYER_MARKERS, CONTACT_MARKERS, HEADINGS, LEGAL_SUFFIXES,
    LOOK_ALIKE, STREET_ENDINGS, STREET_FIRST, STREET_LINKS, STREET_WORDS,
};

/// How many non-empty lines from the top are considered.
const TOP_LINES: usize = 10;

fn tokens(lower: &str) -> Vec<&str> {
    lower
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | ';' | '(' | ')' | '|' | '*'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn contains_marker(lower: &str, markers: &[&str]) -> bool {
    markers.iter().any(|m| {
        lower.match_indices(m).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + m.len()..].chars().next();
            let word_like = m.chars().all(char::is_alphanumeric);
            !word_like
                || (!before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric))
        })
    })
}

fn looks_like_domain(lower: &str) -> bool {
    const TLDS: &[&str] = &[
        ".com", ".de", ".fr", ".co.uk", ".uk", ".ch", ".net", ".org", ".io", ".es", ".it", ".jp",
        ".ca", ".eu", ".at", ".nl", ".be",
    ];
    TLDS.iter().any(|t| {
        lower.match_indices(t).any(|(i, _)| {
            i > 0
                && !lower[i + t.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        })
    })
}

/// The line without a store or branch number ("QUICKFUEL #2231",
/// "Filiale 123"), which says nothing about the name.
fn without_store_number(line: &str) -> String {
    const MARKERS: &[&str] = &[
        "store",
        "filiale",
        "branch",
        "succursale",
        "no.",
        "nr.",
        "n°",
    ];
    let is_number = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit());
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut kept = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w.strip_prefix('#').is_some_and(is_number) {
            i += 1;
        } else if MARKERS.contains(&w.to_lowercase().as_str())
            && words
                .get(i + 1)
                .is_some_and(|n| is_number(n.trim_start_matches('#')))
        {
            i += 2;
        } else {
            kept.push(w);
            i += 1;
        }
    }
    kept.join(" ")
}

/// Why a line is not a supplier name (None: it may be one).
fn rejected(line: &str) -> Option<&'static str> {
    let lower = line.to_lowercase();
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    let digits = line.chars().filter(|c| c.is_ascii_digit()).count();
    let visible = line.chars().filter(|c| !c.is_whitespace()).count();
    if letters < 3 || letters * 10 < visible * 6 {
        return Some("too few letters");
    }
    if line.chars().count() > 60 {
        return Some("too long");
    }
    if digits >= 4 {
        return Some("number, date, postcode or phone");
    }
    if digits > 0 && line.contains('%') {
        return Some("a rate");
    }
    if contains_marker(&lower, CONTACT_MARKERS) || looks_like_domain(&lower) {
        return Some("contact or registration");
    }
    let words = tokens(&lower);
    if words.iter().all(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        w.is_empty() || HEADINGS.contains(&w) || w.chars().all(|c| c.is_ascii_digit() || c == '#')
    }) {
        return Some("heading");
    }
    if street_first(&words) {
        return Some("address");
    }
    if digits > 0 {
        let street = words.iter().any(|w| {
            STREET_WORDS.contains(&w.trim_end_matches('.'))
                || w.ends_with("str.")
                || w.ends_with("straße")
                || w.ends_with("strasse")
                || STREET_ENDINGS
                    .iter()
                    .any(|e| w.ends_with(e) && w.chars().count() >= e.chars().count() + 2)
        });
        let starts_with_number = words
            .first()
            .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()));
        if street || starts_with_number {
            return Some("address");
        }
    }
    None
}

/// Whether the words open with a street word and a linking word ("route de", "rue de la", "via
/// del"): an address printed without a number; or with a letter or two and a street word, a
/// house number misread. The linking word keeps names such as "Place Café" or "Via Roma
/// Pizzeria" out.
fn street_first(words: &[&str]) -> bool {
    let link = |w: &&str| {
        STREET_LINKS.contains(w)
            || w.strip_prefix("d'")
                .or_else(|| w.strip_prefix("d’"))
                .is_some_and(|rest| !rest.is_empty())
    };
    // A house number OCR read as a letter or two ("A rue Sart-Jean" for "4 rue …"): a short
    // first word that is no article, then the street word.
    let misread_number = |w: &&str| w.chars().count() <= 2 && !link(w);
    match words {
        [first, second, _, ..] => {
            (STREET_FIRST.contains(first) && link(second))
                || (misread_number(first) && STREET_FIRST.contains(second))
        }
        _ => false,
    }
}

/// The name as a person would type it: frame characters trimmed, spaces single, and OCR's
/// typographic apostrophes (`Po’ Boys`) as the keyboard's.
fn clean(line: &str) -> String {
    let trimmed = line.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '*' | '-' | '=' | '#' | ':' | '_' | '~' | '|' | '>' | '<')
    });
    trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(['’', '‘', 'ʼ'], "'")
}

/// Confidence of a name that shows a sign of being misread: shown, but as unsure.
const UNSURE: f32 = 0.5;

/// Why a name looks misread or cut (OCR fragments, stray symbols), if it does. Names are
/// words: a letter on its own, a doubled letter alone, symbols between words, digits inside
/// words, a lone short word or a long lower-case word among capitalised ones are not.
fn misread_sign(name: &str) -> Option<&'static str> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let symbols = name
        .chars()
        .filter(|c| {
            !c.is_alphanumeric()
                && !c.is_whitespace()
                && !matches!(c, '.' | '&' | '\'' | '-' | ',' | '’')
        })
        .count();
    if symbols > 0 {
        return Some("symbols");
    }
    let mut capitalised = 0usize;
    let mut long_lower = 0usize;
    for word in &words {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        let letters: Vec<char> = bare.chars().filter(|c| c.is_alphabetic()).collect();
        let is_legal = [word.to_lowercase(), bare.to_lowercase()]
            .iter()
            .any(|w| LEGAL_SUFFIXES.contains(&w.as_str()));
        if bare.is_empty() || is_legal {
            continue;
        }
        if bare.chars().any(|c| c.is_ascii_digit()) && !letters.is_empty() {
            return Some("digits inside a word");
        }
        if letters.len() == 1 && !word.ends_with('.') {
            return Some("a letter on its own");
        }
        if letters.len() == 2 && letters[0] == letters[1] {
            return Some("a doubled letter on its own");
        }
        match letters.first() {
            Some(c) if c.is_uppercase() => capitalised += 1,
            Some(_) if letters.len() >= 4 => long_lower += 1,
            _ => {}
        }
    }
    if long_lower > 0 && capitalised > 0 {
        return Some("a lower-case word among capitalised ones");
    }
    if words.len() == 1 && name.chars().filter(|c| c.is_alphabetic()).count() <= 4 {
        return Some("a lone short word");
    }
    None
}

/// A word of a name read with less confidence than this (Tesseract's scale, 0–100) may be
/// misread: a letter taken for a like one ("Warbor" for "Harbor") still reads as a word. Set on
/// the corpus's tuning part: names read right had words of 90 or more, bar two (54 and 72); the
/// one name misread as sure had a word of 84.
const DOUBTFUL_BELOW: f32 = 88.0;

/// The least confidence OCR read a word of `name` with (`words`: the words read, each with
/// Tesseract's confidence; a word read more than once counts at its best reading). None when
/// OCR reported none of its words as such (a name joined from fragments).
fn least_confidence(name: &str, words: &[(String, f32)]) -> Option<f32> {
    let bare = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    name.split_whitespace()
        .filter_map(|w| {
            let w = bare(w);
            words
                .iter()
                .filter(|(read, _)| bare(read) == w)
                .map(|(_, c)| *c)
                .reduce(f32::max)
        })
        .reduce(f32::min)
}

/// Makes a suggested name unsure when OCR read one of its words with little confidence. When
/// the next line that reads like a name, among the top lines, was read with confidence in
/// every word, that one is offered instead, unsure too: a misread line above the name is
/// often the table or a fold the photo caught.
pub(crate) fn doubt(
    supplier: &mut Option<Suggestion<String>>,
    words: &[(String, f32)],
    lines: &[String],
) {
    let Some(s) = supplier else {
        return;
    };
    let least = least_confidence(&s.value, words);
    if !least.is_some_and(|c| c < DOUBTFUL_BELOW) {
        return;
    }
    tracing::trace!(name = %s.value, least, "OCR unsure of a word of the supplier name");
    s.confidence = s.confidence.min(UNSURE);
    let top: Vec<&String> = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .take(TOP_LINES)
        .collect();
    let Some(at) = top.iter().position(|l| l.trim() == s.source) else {
        return;
    };
    let below: Vec<String> = top
        .iter()
        .skip(at + 1)
        .take(2)
        .map(|l| l.to_string())
        .collect();
    let next = pick_supplier(&below).filter(|n| {
        least_confidence(&n.value, words).is_some_and(|c| c >= DOUBTFUL_BELOW)
            && misread_sign(&n.value).is_none()
    });
    if let Some(next) = next {
        *s = Suggestion {
            confidence: UNSURE,
            source: format!(
                "{} (the line above, '{}', was read with little confidence)",
                next.source, s.source
            ),
            value: next.value,
        };
    }
}

/// Picks the supplier from the top of the text.
pub(crate) fn pick_supplier(lines: &[String]) -> Option<Suggestion<String>> {
    let mut position = 0usize;
    let mut skip_buyer_lines = 0usize;
    for line in lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .take(TOP_LINES)
    {
        position += 1;
        let lower = line.to_lowercase();
        if contains_marker(&lower, BUYER_MARKERS) {
            skip_buyer_lines = 3;
            continue;
        }
        if skip_buyer_lines > 0 {
            skip_buyer_lines -= 1;
            continue;
        }
        let line = &without_store_number(line);
        if let Some(why) = rejected(line) {
            tracing::trace!(line = %line, why, "not a supplier line");
            continue;
        }
        let name = clean(line);
        if name.chars().filter(|c| c.is_alphabetic()).count() < 3 {
            continue;
        }
        let legal = tokens(&name.to_lowercase())
            .iter()
            .any(|w| LEGAL_SUFFIXES.contains(w));
        let mut confidence: f32 = if position <= 2 { 0.7 } else { 0.5 };
        if legal {
            confidence += 0.2;
        }
        if let Some(why) = misread_sign(&name) {
            tracing::trace!(name = %name, why, "supplier name may be misread");
            confidence = confidence.min(UNSURE);
        }
        return Some(Suggestion {
            value: name,
            confidence: confidence.min(0.9),
            source: line.trim().to_string(),
        });
    }
    None
}

/// Makes a name unsure when one of its words is usually written with an accent in the
/// receipt's language and was read without it ("Cafe" on a French receipt): OCR drops accents in
/// large bold type, and the name as printed may have it.
pub(crate) fn accent_doubt(supplier: &mut Option<Suggestion<String>>, lines: &[String]) {
    let (Some(s), Some(language)) = (supplier, language_of(&lines.join("\n"))) else {
        return;
    };
    let listed = ACCENT_DROPPED
        .iter()
        .find(|(l, _)| *l == language)
        .map_or(&[][..], |(_, words)| *words);
    let lower = s.value.to_lowercase();
    let dropped = lower.split(|c: char| !c.is_alphanumeric()).find(|w| {
        listed.contains(w)
            || (language == "spa" && w.len() > 5 && w.is_ascii() && w.ends_with("eria"))
    });
    if let Some(word) = dropped {
        s.confidence = s.confidence.min(UNSURE);
        s.source = format!(
            "{} ('{word}' is usually written with an accent, which OCR may have dropped)",
            s.source
        );
    }
}

/// Makes a name of one word unsure when that word is the town of an address line below it
/// ("Cardiff" above "Cardiff CF10 1EP"): the rest of the name ("Cabs Ltd") was likely lost.
pub(crate) fn town_doubt(supplier: &mut Option<Suggestion<String>>, lines: &[String]) {
    let Some(s) = supplier else { return };
    let word = s.value.to_lowercase();
    if word.split_whitespace().count() != 1 || !word.chars().all(char::is_alphabetic) {
        return;
    }
    let top = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .take(TOP_LINES);
    // The name's own line: its source, which later doubts may have followed with a note.
    let own = |l: &&String| s.source.starts_with(l.trim());
    let town = top.skip_while(|l| !own(l)).skip(1).any(|l| {
        let lower = l.to_lowercase();
        l.chars().filter(char::is_ascii_digit).count() >= 2
            && tokens(&lower)
                .iter()
                .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == word)
    });
    if town {
        s.confidence = s.confidence.min(UNSURE);
        s.source = format!(
            "{} (also the town of the address below: the rest of the name may be lost)",
            s.source
        );
    }
}

/// Makes a name unsure when one of its words is one look-alike letter away from a word that
/// names a kind of business ("The Crooked Spire Cale"): OCR misread a letter, and the name as
/// printed is likely that word.
pub(crate) fn misread_doubt(supplier: &mut Option<Suggestion<String>>) {
    let Some(s) = supplier else { return };
    let lower = s.value.to_lowercase();
    let misread = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !BUSINESS_WORDS.contains(w))
        .find_map(|w| BUSINESS_WORDS.iter().find(|b| one_look_alike_apart(w, b)));
    if let Some(word) = misread {
        s.confidence = s.confidence.min(UNSURE);
        s.source = format!("{} (a word of it may be a misread '{word}')", s.source);
    }
}

/// Whether `a` and `b` differ in exactly one letter, and those two letters look alike.
fn one_look_alike_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() || a.len() < 3 {
        return false;
    }
    let differ: Vec<(char, char)> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (*x, *y))
        .collect();
    let look_alike = |x: char, y: char| LOOK_ALIKE.iter().any(|g| g.contains(x) && g.contains(y));
    matches!(differ.as_slice(), [(x, y)] if look_alike(*x, *y))
}

#[cfg(test)]
#[path = "supplier_tests.rs"]
mod tests;
