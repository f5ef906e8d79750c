//! What Tesseract read of one picture: its text, each word with Tesseract's confidence, and how
//! the picture was read (turn and languages).

use super::prepare::Turn;

/// A word Tesseract recognised, with its own confidence (0–100).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    text: String,
    confidence: f32,
}

/// How a picture was read: the turn that made it upright and the languages read. Another
/// reading of the same picture (its print drawn otherwise) is turned the same way, without
/// detecting its orientation again.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Layout {
    pub turn: Turn,
    /// Tesseract's `-l` argument.
    pub langs: String,
}

/// Tesseract's reading of one picture.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Reading {
    pub text: String,
    pub(crate) words: Vec<Word>,
    pub layout: Layout,
}

/// A word counts as legible from this confidence of Tesseract's on.
const LEGIBLE_FROM: f32 = 70.0;
/// With this many legible words, and most words legible, the picture reads well as it is.
const READS_WELL_WORDS: usize = 15;

impl Reading {
    /// This reading, read in `langs`.
    pub(crate) fn in_languages(mut self, langs: &str) -> Reading {
        self.layout.langs = langs.to_string();
        self
    }

    /// This reading, of the picture turned by `turn`.
    pub(crate) fn turned(mut self, turn: Turn) -> Reading {
        self.layout.turn = turn;
        self
    }

    /// Words read with confidence that have at least two letters or digits.
    pub(crate) fn legible_words(&self) -> usize {
        self.words
            .iter()
            .filter(|w| {
                w.confidence >= LEGIBLE_FROM
                    && w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2
            })
            .count()
    }

    /// Whether most words of two letters or more were read with confidence. Print in a script
    /// the languages read do not cover (Japanese read with Latin models) comes out as short
    /// words of capitals Tesseract doubts, while its digits still read well.
    pub(crate) fn letters_read_well(&self) -> bool {
        let (lettered, legible) = self
            .words
            .iter()
            .filter(|w| w.text.chars().filter(|c| c.is_alphabetic()).count() >= 2)
            .fold((0usize, 0usize), |(lettered, legible), w| {
                (
                    lettered + 1,
                    legible + usize::from(w.confidence >= LEGIBLE_FROM),
                )
            });
        legible * 2 >= lettered
    }

    /// Tesseract's mean confidence in the words it read with a letter or digit (0–100; 0 for
    /// none).
    pub(crate) fn mean_confidence(&self) -> f32 {
        let (sum, n) = self
            .words
            .iter()
            .filter(|w| w.text.chars().any(char::is_alphanumeric))
            .fold((0.0, 0u32), |(sum, n), w| (sum + w.confidence, n + 1));
        if n == 0 {
            0.0
        } else {
            sum / n as f32
        }
    }

    /// The share of the letters read that are Chinese characters or kana (0–1).
    pub(crate) fn cjk_share(&self) -> f32 {
        let letters = self.text.chars().filter(|c| c.is_alphabetic());
        let (cjk, all) = letters.fold((0u32, 0u32), |(cjk, all), c| {
            (cjk + u32::from(super::cjk::is_cjk(c)), all + 1)
        });
        if all == 0 {
            0.0
        } else {
            cjk as f32 / all as f32
        }
    }

    /// The words with letters in them, each with Tesseract's confidence in it (0–100).
    pub(crate) fn letter_words(&self) -> Vec<(String, f32)> {
        self.words
            .iter()
            .filter(|w| w.text.chars().any(char::is_alphabetic))
            .map(|w| (w.text.clone(), w.confidence))
            .collect()
    }

    /// Enough text read with confidence that turning the picture could not do better.
    pub(crate) fn reads_well(&self) -> bool {
        let legible = self.legible_words();
        legible >= READS_WELL_WORDS && legible * 2 >= self.words.len()
    }
}

/// Parses Tesseract's TSV output: the text, a line per line read and an empty line between
/// paragraphs (as its plain-text output has them), and each word's confidence.
pub(crate) fn parse_tsv(tsv: &str) -> Reading {
    let mut reading = Reading::default();
    let mut last: Option<(&str, &str, &str)> = None;
    // The header line (from the program) and the page, block, paragraph and line rows are not
    // words (level 5).
    for row in tsv.lines() {
        let cells: Vec<&str> = row.split('\t').collect();
        let [level, _page, block, par, line, _word, _l, _t, _w, _h, conf, text] = cells[..] else {
            continue;
        };
        if level != "5" {
            continue;
        }
        let here = (block, par, line);
        match last {
            Some(prev) if prev == here => reading.text.push(' '),
            Some(prev) if (prev.0, prev.1) == (block, par) => reading.text.push('\n'),
            Some(_) => reading.text.push_str("\n\n"),
            None => {}
        }
        last = Some(here);
        reading.text.push_str(text);
        reading.words.push(Word {
            text: text.to_string(),
            confidence: conf.parse().unwrap_or(0.0),
        });
    }
    if !reading.text.is_empty() {
        reading.text.push('\n');
    }
    reading
}
