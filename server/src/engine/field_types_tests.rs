#![allow(clippy::unwrap_used)]
use super::*;
use serde_json::json;

fn field(v: Value) -> FieldDef {
    serde_json::from_value(v).unwrap()
}

fn text(s: &str) -> Raw {
    Raw::Text(s.into())
}

#[test]
fn yes_and_no_read_words_and_booleans() {
    assert_eq!(parse_yesno(&text("Yes")).unwrap(), json!(true));
    assert_eq!(parse_yesno(&text("no")).unwrap(), json!(false));
    assert_eq!(parse_yesno(&Raw::Json(json!(false))).unwrap(), json!(false));
    assert_eq!(
        parse_yesno(&text("maybe")).unwrap_err(),
        "`maybe` is neither yes nor no; answer yes or no"
    );
}

#[test]
fn several_options_are_stored_once_each_in_the_options_order() {
    let opts: Vec<String> = ["Red", "Green", "Blue"].map(String::from).to_vec();
    let v = parse_multichoice(&opts, &Raw::Json(json!(["blue", "Red", "Blue"]))).unwrap();
    assert_eq!(v, json!(["Red", "Blue"]));
    assert_eq!(
        parse_multichoice(&opts, &text("Green\nRed\n")).unwrap(),
        json!(["Red", "Green"])
    );
    assert_eq!(
        parse_multichoice(&opts, &Raw::Json(json!([]))).unwrap(),
        Value::Null
    );
    assert_eq!(
        parse_multichoice(&opts, &Raw::Json(json!(["Pink"]))).unwrap_err(),
        "`Pink` is not one of: Red, Green, Blue"
    );
    assert!(parse_multichoice(&opts, &Raw::Json(json!([1]))).is_err());
    assert!(parse_multichoice(&opts, &Raw::Json(json!({"a": 1}))).is_err());
}

#[test]
fn email_addresses_keep_the_local_part_and_lower_case_the_domain() {
    assert_eq!(
        parse_email(" Ann.Lee+forms@Example.ORG ").unwrap(),
        "Ann.Lee+forms@example.org"
    );
    for bad in [
        "ann",
        "ann@",
        "@example.org",
        "ann@example",
        "ann@@example.org",
        "ann lee@example.org",
        "ann@[127.0.0.1]",
        "Ann <ann@example.org>",
        "ann@-example.org",
        "ann@example-.org",
        "ann..lee@example.org",
    ] {
        let e = parse_email(bad).unwrap_err();
        assert!(e.contains("is not an email address"), "{bad}: {e}");
    }
}

#[test]
fn international_phone_numbers_become_e164_and_local_ones_stay_as_written() {
    assert_eq!(parse_phone("+44 20 7946 0958").unwrap(), "+442079460958");
    assert_eq!(parse_phone("+1 (555) 010-9999").unwrap(), "+15550109999");
    assert_eq!(parse_phone("020  7946 0958").unwrap(), "020 7946 0958");
    assert!(parse_phone("+0 20 7946")
        .unwrap_err()
        .contains("never starts with 0"));
    assert!(parse_phone("+44 12345678901234")
        .unwrap_err()
        .contains("7 to 15"));
    assert!(parse_phone("call me")
        .unwrap_err()
        .contains("is not a digit"));
    assert!(parse_phone("12+34567").unwrap_err().contains("only before"));
    assert!(parse_phone("12").unwrap_err().contains("3 to 15"));
}

#[test]
fn web_addresses_are_http_or_https_with_a_host() {
    assert_eq!(
        parse_url("https://Example.org/a b").unwrap(),
        "https://example.org/a%20b"
    );
    assert_eq!(
        parse_url("http://example.org").unwrap(),
        "http://example.org/"
    );
    assert!(parse_url("ftp://example.org/x")
        .unwrap_err()
        .contains("only http and https"));
    assert!(parse_url("javascript:alert(1)")
        .unwrap_err()
        .contains("only http and https"));
    assert!(parse_url("example.org")
        .unwrap_err()
        .contains("is not a web address"));
    assert!(parse_url("https://u:p@example.org/")
        .unwrap_err()
        .contains("password"));
}

#[test]
fn integers_refuse_decimals_and_respect_bounds_and_range() {
    let f = field(
        json!({"type": "integer", "label": "Nights", "min": "1", "max": "30", "unit": "nights"}),
    );
    assert_eq!(parse_integer(&f, "12").unwrap(), 12);
    assert_eq!(parse_integer(&f, "3.0").unwrap(), 3);
    assert_eq!(
        parse_integer(&f, "2.5").unwrap_err(),
        "`2.5` has decimals; this field takes whole numbers only"
    );
    assert_eq!(
        parse_integer(&f, "0").unwrap_err(),
        "must be at least 1 nights"
    );
    assert_eq!(
        parse_integer(&f, "31").unwrap_err(),
        "must be at most 30 nights"
    );
    assert!(parse_integer(&f, "ten")
        .unwrap_err()
        .contains("is not a whole number"));
    let wide = field(json!({"type": "integer", "label": "Big"}));
    assert_eq!(parse_integer(&wide, "1,234,567").unwrap(), 1_234_567);
    assert_eq!(
        parse_integer(&wide, &i64::MIN.to_string()).unwrap(),
        i64::MIN
    );
    assert!(parse_integer(&wide, "9223372036854775808")
        .unwrap_err()
        .contains("too large"));
    let v = parse(&wide, &Raw::Json(json!(-7))).unwrap().unwrap();
    assert_eq!(v, json!(-7));
}

#[test]
fn integers_parse_every_i64_they_print() {
    let wide = field(json!({"type": "integer", "label": "Big"}));
    let mut n: i64 = 1;
    // Powers of three and their neighbours up to the ends of the range, both signs.
    while let Some(next) = n.checked_mul(3) {
        for m in [n - 1, n, n + 1, -n, -n - 1] {
            assert_eq!(parse_integer(&wide, &m.to_string()).unwrap(), m);
        }
        n = next;
    }
}

#[test]
fn moments_need_an_offset_and_are_stored_in_utc() {
    let t = parse_datetime("2026-03-05T14:30:00+01:00").unwrap();
    assert_eq!(format_utc(t), "2026-03-05T13:30:00Z");
    assert_eq!(
        format_utc(parse_datetime("2026-03-05T13:30:00.5Z").unwrap()),
        "2026-03-05T13:30:00Z"
    );
    let e = parse_datetime("2026-03-05T14:30").unwrap_err();
    assert!(e.contains("no time zone offset"), "{e}");
    assert!(parse_datetime("yesterday")
        .unwrap_err()
        .contains("RFC 3339"));
}

#[test]
fn definitions_check_the_settings_of_each_type() {
    let check = |v: Value| {
        let mut errors = Vec::new();
        check_definition("fields.x", &field(v), &mut errors);
        errors
            .into_iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        check(json!({"type": "multichoice", "label": "Tags"})),
        ["fields.x.options: a multichoice field needs options"]
    );
    assert_eq!(
        check(json!({"type": "multichoice", "label": "Tags", "options": ["a", "a"]})),
        ["fields.x.options[1]: `a` is listed twice"]
    );
    assert_eq!(
        check(json!({"type": "integer", "label": "N", "min": "1.5"})),
        ["fields.x.min: `1.5` is not a whole number"]
    );
    assert_eq!(
        check(json!({"type": "photo", "label": "P", "accept": ["application/pdf"]})),
        ["fields.x.accept[0]: a photo field takes images only; `application/pdf` is not an image type"]
    );
    assert_eq!(
        check(json!({"type": "yesno", "label": "Y", "default": "perhaps"})),
        ["fields.x.default: `perhaps` is neither yes nor no; answer yes or no"]
    );
    assert!(check(json!({"type": "integer", "label": "N", "min": "0", "unit": "km"})).is_empty());
}

#[test]
fn display_is_plain_for_exports() {
    let yn = field(json!({"type": "yesno", "label": "Y"}));
    assert_eq!(display(&yn, &json!(true)).unwrap(), "Yes");
    let mc = field(json!({"type": "multichoice", "label": "M", "options": ["a", "b"]}));
    assert_eq!(display(&mc, &json!(["a", "b"])).unwrap(), "a, b");
    let n = field(json!({"type": "integer", "label": "N", "unit": "km"}));
    assert_eq!(display(&n, &json!(12)).unwrap(), "12");
    let text = field(json!({"type": "text", "label": "T"}));
    assert!(display(&text, &json!("x")).is_none());
}

fn geo(raw: Raw) -> Result<Value, String> {
    parse(
        &field(json!({"type": "geolocation", "label": "Location"})),
        &raw,
    )
    .unwrap()
}

#[test]
fn a_place_is_read_from_text_or_an_object_and_stored_in_decimal_degrees() {
    let eiffel = json!({"lat": 48.8584, "lon": 2.2945});
    for typed in [
        "48.8584, 2.2945",
        " 48.8584 ,2.2945 ",
        "48.8584 2.2945",
        "48.8584°, 2.2945°",
        "+48.8584, +2.2945",
    ] {
        assert_eq!(geo(text(typed)).unwrap(), eiffel, "{typed}");
    }
    assert_eq!(geo(Raw::Json(json!("48.8584, 2.2945"))).unwrap(), eiffel);
    assert_eq!(
        geo(Raw::Json(json!({"lat": 48.8584, "lon": 2.2945}))).unwrap(),
        eiffel
    );
    assert_eq!(
        geo(Raw::Json(json!({"lat": "48.8584", "lon": "2.2945"}))).unwrap(),
        eiffel
    );
    // Rounded to 7 decimals; the device's accuracy is kept, to a tenth of a metre.
    assert_eq!(
        geo(Raw::Json(
            json!({"lat": -33.856784449, "lon": 151.21529671234, "accuracy_m": 12.345})
        ))
        .unwrap(),
        json!({"lat": -33.8567844, "lon": 151.2152967, "accuracy_m": 12.3})
    );
    assert_eq!(
        geo(text("-33.8567844, 151.2152967 ± 12 m")).unwrap(),
        json!({"lat": -33.8567844, "lon": 151.2152967, "accuracy_m": 12.0})
    );
    // The edges are places too.
    assert_eq!(
        geo(text("-90, 180")).unwrap(),
        json!({"lat": -90.0, "lon": 180.0})
    );
    assert_eq!(
        geo(Raw::Json(json!({"lat": 1e-7, "lon": 0}))).unwrap(),
        json!({"lat": 0.0000001, "lon": 0.0})
    );
}

#[test]
fn a_bad_place_says_what_to_write() {
    let example = "expected latitude, longitude such as 48.8584, 2.2945";
    for (raw, message) in [
        (text("48.8584"), example),
        (text("48,8584, 2,2945"), example),
        (text("1, 2, 3"), example),
        (text(","), example),
        (text("north, east"), "latitude `north` is not a number"),
        (text("48.8584, east"), "longitude `east` is not a number"),
        (text("90.0000001, 0"), "latitude must be between -90 and 90"),
        (text("0, -180.5"), "longitude must be between -180 and 180"),
        (text("1, 2 ± -3 m"), "cannot be negative"),
        (text("NaN, 2"), "is not a number"),
        (
            Raw::Json(json!({"lat": 91, "lon": 0})),
            "latitude must be between -90 and 90",
        ),
        (
            Raw::Json(json!({"lat": 1})),
            "a location needs both lat and lon",
        ),
        (
            Raw::Json(json!({"lat": 1, "lon": 2, "lng": 2})),
            "`lng` is not part of a location",
        ),
        (Raw::Json(json!({"lat": [1], "lon": 2})), "is not a number"),
        (Raw::Json(json!([48.8584, 2.2945])), "is not a location"),
        (Raw::Json(json!(true)), "is not a location"),
        (
            Raw::Json(json!({"lat": 1, "lon": 2, "accuracy_m": -1})),
            "cannot be negative",
        ),
    ] {
        let m = geo(raw.clone()).unwrap_err();
        assert!(m.contains(message), "{raw:?}: {m}");
    }
}

#[test]
fn a_place_is_shown_as_latitude_comma_longitude() {
    let f = field(json!({"type": "geolocation", "label": "Location"}));
    assert_eq!(
        display(
            &f,
            &json!({"lat": 48.8584, "lon": 2.2945, "accuracy_m": 5.0})
        )
        .unwrap(),
        "48.8584, 2.2945"
    );
    assert_eq!(
        display(&f, &json!({"lat": -33.8567844, "lon": 151.2152967})).unwrap(),
        "-33.8567844, 151.2152967"
    );
    assert_eq!(display(&f, &Value::Null).unwrap(), "");
    // Not a place (written by hand into the database): shown as stored, never a panic.
    assert_eq!(display(&f, &json!("x")).unwrap(), "\"x\"");
}

#[test]
fn a_place_has_no_default() {
    let f = field(json!({"type": "geolocation", "label": "L", "default": "1, 2"}));
    let mut errors = Vec::new();
    check_definition("fields.l", &f, &mut errors);
    assert_eq!(errors[0].message, "this type of field has no default");
}
