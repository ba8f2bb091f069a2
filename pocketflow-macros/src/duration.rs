//! Duration literals of attributes: `wait = "500ms"`.

/// Parses `"500ms"`, `"2s"`, `"1.5s"`, `"250us"`, `"10ns"`, `"1m"`, `"1h"` into nanoseconds.
pub(crate) fn parse_nanos(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .ok_or_else(|| {
            format!("`{text}` has no unit; write it with one, like \"{text}ms\" or \"{text}s\"")
        })?;
    let (number, unit) = text.split_at(split);
    let unit_nanos: u64 = match unit.trim() {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        other => {
            return Err(format!(
                "unknown unit `{other}`; use one of `ns`, `us`, `ms`, `s`, `m`, `h`, like \"500ms\""
            ));
        }
    };
    let number = number.replace('_', "");
    if number.is_empty() {
        return Err(format!(
            "`{text}` has no number; write one before the unit, like \"500ms\""
        ));
    }
    let (whole, fraction) = number.split_once('.').unwrap_or((&number, ""));
    let invalid =
        || format!("`{number}` is not a number; write a duration like \"500ms\" or \"1.5s\"");
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(invalid());
    }
    let too_long = || {
        format!(
            "`{text}` is too long; the longest duration is \"18446744073.709551615s\" (about 584 years)"
        )
    };
    // `whole` is digits only: it fails to parse only by overflowing.
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_long())?
    };
    let unit_nanos = u128::from(unit_nanos);
    // The fraction's nanoseconds, exactly: from the last digit to the first, each step is
    // (digit * unit + the digits after it) / 10, kept as its floor and whether it is whole.
    let mut fraction_nanos: u128 = 0;
    let mut whole_nanoseconds = true;
    for digit in fraction.chars().rev() {
        let digit = u128::from(digit.to_digit(10).ok_or_else(invalid)?);
        let tenfold = digit * unit_nanos + fraction_nanos;
        whole_nanoseconds &= tenfold.is_multiple_of(10);
        fraction_nanos = tenfold / 10;
    }
    let nanos = whole
        .checked_mul(unit_nanos)
        .and_then(|nanos| nanos.checked_add(fraction_nanos))
        .filter(|&nanos| {
            nanos < u128::from(u64::MAX) || nanos == u128::from(u64::MAX) && whole_nanoseconds
        })
        .ok_or_else(too_long)?;
    if !whole_nanoseconds {
        return Err(format!(
            "`{text}` is not a whole number of nanoseconds; round it, like \"{nanos}ns\""
        ));
    }
    u64::try_from(nanos).map_err(|_| too_long())
}

#[cfg(test)]
mod tests {
    use super::parse_nanos;

    #[test]
    fn reads_every_unit_and_fractions() {
        assert_eq!(parse_nanos("500ms"), Ok(500_000_000));
        assert_eq!(parse_nanos("2s"), Ok(2_000_000_000));
        assert_eq!(parse_nanos("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_nanos("0.25ms"), Ok(250_000));
        assert_eq!(parse_nanos("250us"), Ok(250_000));
        assert_eq!(parse_nanos("10ns"), Ok(10));
        assert_eq!(parse_nanos("1m"), Ok(60_000_000_000));
        assert_eq!(parse_nanos("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_nanos("1_000ms"), Ok(1_000_000_000));
        assert_eq!(parse_nanos("0s"), Ok(0));
        // Every digit of the fraction counts, past the unit's nanoseconds per tenth too.
        assert_eq!(parse_nanos("0.0000000001m"), Ok(6));
        assert_eq!(parse_nanos("0.0000000000025h"), Ok(9));
        assert_eq!(parse_nanos("1.500000000000000000000s"), Ok(1_500_000_000));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        assert!(parse_nanos("500").unwrap_err().contains("no unit"));
        assert!(
            parse_nanos("5 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_nanos("ms").unwrap_err().contains("no number"));
        assert!(parse_nanos("1.2.3s").unwrap_err().contains("not a number"));
        assert_eq!(
            parse_nanos("0.5ns").unwrap_err(),
            "`0.5ns` is not a whole number of nanoseconds; round it, like \"0ns\""
        );
        // 5.4ns: the eleventh digit of a minute is 0.6ns.
        assert!(
            parse_nanos("0.00000000009m")
                .unwrap_err()
                .contains("not a whole number of nanoseconds")
        );
        assert!(
            parse_nanos("99999999999999999999ns")
                .unwrap_err()
                .contains("too long")
        );
        assert!(
            parse_nanos("99999999999999h")
                .unwrap_err()
                .contains("too long")
        );
        // The whole fits in u64 nanoseconds; the fraction carries it over.
        assert!(
            parse_nanos("18446744073.8s")
                .unwrap_err()
                .contains("too long")
        );
        assert_eq!(parse_nanos("18446744073.709551615s"), Ok(u64::MAX));
        assert!(
            parse_nanos("18446744073.709551616s")
                .unwrap_err()
                .contains("too long")
        );
    }
}

/// `parse_nanos` never panics, and what it accepts is exactly the nanoseconds the text means.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::parse_nanos;

    /// What `parse_nanos` should make of `text`, worked out apart from it: the number's digits
    /// as one mantissa over a power of ten, times the unit, in u128.
    #[derive(Debug, PartialEq)]
    enum Expected {
        Nanos(u64),
        /// More than u64::MAX nanoseconds: the "too long" error.
        TooLong,
        /// Any other error (no unit, unknown unit, no number, not a number, a fraction of a
        /// nanosecond).
        OtherError,
        /// Over 25 significant digits, a fraction of a nanosecond, and the digits past the
        /// 25th decide whether the value passes u64::MAX: either error will do.
        SomeError,
    }

    const UNITS: [(&str, u128); 8] = [
        ("ns", 1),
        ("us", 1_000),
        ("µs", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("min", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];

    fn expected(text: &str) -> Expected {
        let text = text.trim();
        let end = text
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .map(|(i, _)| i);
        let Some(end) = end else {
            return Expected::OtherError;
        };
        let Some(&(_, unit)) = UNITS.iter().find(|(name, _)| *name == text[end..].trim()) else {
            return Expected::OtherError;
        };
        let number: String = text[..end].chars().filter(|&c| c != '_').collect();
        let parts: Vec<&str> = number.split('.').collect();
        let (whole, fraction) = match parts[..] {
            [whole] => (whole, ""),
            [whole, fraction] => (whole, fraction),
            _ => return Expected::OtherError,
        };
        if whole.is_empty() && fraction.is_empty() {
            return Expected::OtherError;
        }
        let whole = whole.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        // 26 digits are at least 10^25 ns, far beyond u64::MAX.
        if whole.len() > 25 {
            return Expected::TooLong;
        }
        // value = mantissa * unit / 10^kept, with the fraction cut to what u128 can hold.
        let kept = fraction.len().min(25 - whole.len());
        let mantissa: u128 = format!("0{whole}{}", &fraction[..kept]).parse().unwrap();
        let scale = 10u128.pow(kept as u32);
        let limit = u128::from(u64::MAX);
        let above = |mantissa: u128| {
            let product = mantissa * unit;
            let floor = product / scale;
            floor > limit || floor == limit && !product.is_multiple_of(scale)
        };
        if kept == fraction.len() {
            let product = mantissa * unit;
            return if above(mantissa) {
                Expected::TooLong
            } else if product.is_multiple_of(scale) {
                Expected::Nanos((product / scale) as u64)
            } else {
                Expected::OtherError
            };
        }
        // The cut digits add more than nothing and less than one in the last kept place; a
        // value of nanoseconds below 2^64 has no more than 25 significant digits, so the
        // fraction is not whole nanoseconds.
        if (mantissa * unit) / scale >= limit {
            Expected::TooLong
        } else if above(mantissa + 1) {
            Expected::SomeError
        } else {
            Expected::OtherError
        }
    }

    fn check(text: &str) {
        let result = parse_nanos(text);
        match (expected(text), &result) {
            (Expected::Nanos(nanos), Ok(got)) => assert_eq!(*got, nanos, "{text:?}"),
            (Expected::TooLong, Err(message)) => {
                assert!(message.contains("too long"), "{text:?}: {message}");
            }
            (Expected::OtherError, Err(message)) => {
                assert!(!message.contains("too long"), "{text:?}: {message}");
            }
            (Expected::SomeError, Err(_)) => {}
            (expected, _) => panic!("{text:?}: expected {expected:?}, got {result:?}"),
        }
    }

    /// Text from the literals' own alphabet: digits, `.`, `_`, units and spaces.
    fn literal() -> impl Strategy<Value = String> {
        let digits = prop_oneof![
            4 => "[0-9]{1,3}",
            2 => "[0-9_]{0,25}",
            1 => "[0-9]{18,24}",
            1 => Just("18446744073".to_owned()),
            1 => Just("18446744073709551615".to_owned()),
            1 => Just("307445734".to_owned()),
            1 => Just("5124095".to_owned()),
        ];
        let fraction = prop_oneof![
            3 => Just(String::new()),
            3 => "\\.[0-9]{0,4}",
            2 => "\\.[0-9_]{5,30}",
            1 => Just(".709551615".to_owned()),
            1 => Just(".7095516150000000000000000001".to_owned()),
            1 => Just(".7095516149999999999999999999".to_owned()),
            1 => "\\.[0-9.]{0,4}",
        ];
        let unit = prop::sample::select(
            &[
                "ns", "us", "µs", "μs", "ms", "s", "m", "min", "h", "", "sec", "S", ".",
            ][..],
        );
        let space = prop::sample::select(&["", " ", "  ", "\t"][..]);
        (space.clone(), digits, fraction, space.clone(), unit, space).prop_map(
            |(lead, digits, fraction, gap, unit, trail)| {
                format!("{lead}{digits}{fraction}{gap}{unit}{trail}")
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn any_text_never_panics_and_is_exact(text in any::<String>()) {
            check(&text);
        }

        #[test]
        fn literals_are_exact_nanoseconds(text in literal()) {
            check(&text);
        }
    }

    #[test]
    fn the_reference_agrees_with_the_examples() {
        assert_eq!(expected("1.5s"), Expected::Nanos(1_500_000_000));
        assert_eq!(
            expected("18446744073.709551615s"),
            Expected::Nanos(u64::MAX)
        );
        assert_eq!(expected("18446744073.709551616s"), Expected::TooLong);
        assert_eq!(expected("0.5ns"), Expected::OtherError);
        assert_eq!(expected("1.2.3s"), Expected::OtherError);
        assert_eq!(expected("99999999999999999999ns"), Expected::TooLong);
        assert_eq!(
            expected("0.00000000000000000000000000001ns"),
            Expected::OtherError
        );
        assert_eq!(
            expected("18446744073709551615.000000000000000000001ns"),
            Expected::TooLong
        );
        assert_eq!(
            expected("18446744073709551614.999999999999999999999ns"),
            Expected::OtherError
        );
    }
}
