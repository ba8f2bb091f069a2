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
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let too_long = || {
        format!(
            "`{text}` is too long; the longest duration is \"18446744073.709551615s\" (about 584 years)"
        )
    };
    let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
    let mut scale = unit_nanos;
    for digit in fraction.chars() {
        scale /= 10;
        let digit = u64::from(digit.to_digit(10).ok_or_else(invalid)?);
        // The fraction's digits can carry a whole just below the limit over it.
        nanos = nanos.checked_add(digit * scale).ok_or_else(too_long)?;
    }
    Ok(nanos)
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
