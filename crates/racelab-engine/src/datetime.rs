//! Timestamps and intervals as PostgreSQL 15 reads, computes and prints them (DateStyle ISO,
//! IntervalStyle postgres, TimeZone UTC): the subset lessons use. A timestamp is microseconds
//! since 1970-01-01 00:00:00 (UTC for `timestamptz`); an interval is PostgreSQL's triple of
//! months, days and microseconds. Input outside the subset is `DtErr::Unsupported`, never a
//! guess.

use std::cmp::Ordering;
use std::fmt;

pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;

/// Where the virtual clock's 0 ms is: 2024-01-01 00:00:00 UTC.
pub const VIRTUAL_EPOCH: i64 = 1_704_067_200 * USECS_PER_SEC;

/// The years the simulator reads and prints (PostgreSQL's own range is wider; BC is refused).
const YEARS: std::ops::RangeInclusive<i64> = 1..=9999;

/// An interval: months, days and microseconds, kept apart as PostgreSQL keeps them (a month is
/// not a fixed number of days, nor a day of hours across daylight saving time).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtErr {
    /// Not a date/time (PostgreSQL's 22007).
    Syntax,
    /// A field out of range, such as February 30 (22008).
    Range,
    /// A form PostgreSQL reads that the simulator does not (0A000).
    Unsupported,
    /// The result leaves the supported range (22008 "timestamp out of range").
    Overflow,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn in_range(us: i64) -> Result<i64, DtErr> {
    let (y, _, _) = civil_from_days(us.div_euclid(USECS_PER_DAY));
    if YEARS.contains(&y) {
        Ok(us)
    } else {
        Err(DtErr::Overflow)
    }
}

/// Reads `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]][zone]`. A zone (`Z`, `UTC`, `+HH`, `-HH:MM`) is
/// applied for `timestamptz` and ignored for `timestamp`, as PostgreSQL does.
pub fn parse_timestamp(input: &str, with_tz: bool) -> Result<i64, DtErr> {
    let s = input.trim();
    let special = [
        "now",
        "today",
        "tomorrow",
        "yesterday",
        "epoch",
        "infinity",
        "-infinity",
    ];
    if special.iter().any(|w| s.eq_ignore_ascii_case(w)) || s.to_ascii_lowercase().contains("bc") {
        return Err(DtErr::Unsupported);
    }
    let (date, rest) = s.split_at(s.find([' ', 'T', 't']).unwrap_or(s.len()));
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(if date.contains('/') || date.contains('.') {
            DtErr::Unsupported
        } else {
            DtErr::Syntax
        });
    };
    let field = |x: &str| x.parse::<i64>().map_err(|_| DtErr::Syntax);
    let (y, m, d) = (field(y)?, field(m)?, field(d)?);
    if !YEARS.contains(&y) {
        return Err(DtErr::Unsupported);
    }
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(DtErr::Range);
    }
    let rest = rest.get(1..).unwrap_or("").trim();
    let (time, zone) = split_zone(rest);
    let micros = if time.is_empty() {
        0
    } else {
        parse_clock(time, false)?
    };
    if micros >= USECS_PER_DAY {
        return Err(DtErr::Range);
    }
    let offset = if with_tz { zone_offset(zone)? } else { 0 };
    in_range(days_from_civil(y, m, d) * USECS_PER_DAY + micros - offset)
}

/// Splits a time of day from a trailing zone.
fn split_zone(s: &str) -> (&str, &str) {
    if let Some(i) = s.rfind(['+', '-']) {
        return (s[..i].trim(), &s[i..]);
    }
    let lower = s.to_ascii_lowercase();
    for z in ["utc", "z", "gmt"] {
        if lower.ends_with(z) {
            return (s[..s.len() - z.len()].trim(), &s[s.len() - z.len()..]);
        }
    }
    (s, "")
}

/// A zone's offset from UTC in microseconds.
fn zone_offset(z: &str) -> Result<i64, DtErr> {
    let z = z.trim();
    if z.is_empty() || ["utc", "z", "gmt"].contains(&z.to_ascii_lowercase().as_str()) {
        return Ok(0);
    }
    let (sign, body) = match z.split_at(1) {
        ("+", b) => (1, b),
        ("-", b) => (-1, b),
        _ => return Err(DtErr::Unsupported),
    };
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h, m),
        None if body.len() == 4 => body.split_at(2),
        None => (body, "0"),
    };
    let h: i64 = h.parse().map_err(|_| DtErr::Syntax)?;
    let m: i64 = m.parse().map_err(|_| DtErr::Syntax)?;
    if h > 15 || m > 59 {
        return Err(DtErr::Range);
    }
    Ok(sign * (h * 3600 + m * 60) * USECS_PER_SEC)
}

/// `HH:MM[:SS[.ffffff]]` in microseconds (hours unbounded in an interval).
fn parse_clock(s: &str, interval: bool) -> Result<i64, DtErr> {
    let parts: Vec<&str> = s.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, sec] => (*h, *m, *sec),
        _ => return Err(DtErr::Syntax),
    };
    let int = |x: &str| -> Result<i64, DtErr> {
        if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DtErr::Syntax);
        }
        x.parse().map_err(|_| DtErr::Range)
    };
    let (h, m) = (int(h)?, int(m)?);
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let whole = int(whole)?;
    let frac_us = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
        if frac.len() > 6 {
            return Err(DtErr::Unsupported);
        }
        int(&digits)?
    };
    if m > 59 || whole > 60 || (!interval && h > 24) {
        return Err(DtErr::Range);
    }
    h.checked_mul(3600)
        .and_then(|x| x.checked_add(m * 60 + whole))
        .and_then(|x| x.checked_mul(USECS_PER_SEC))
        .and_then(|x| x.checked_add(frac_us))
        .ok_or(DtErr::Range)
}

/// A timestamp as PostgreSQL prints it: `2024-01-01 10:00:00[.5][+00]`.
pub fn format_timestamp(us: i64, with_tz: bool) -> String {
    let (y, m, d) = civil_from_days(us.div_euclid(USECS_PER_DAY));
    let t = us.rem_euclid(USECS_PER_DAY);
    let mut out = format!("{y:04}-{m:02}-{d:02} {}", clock(t));
    if with_tz {
        out.push_str("+00");
    }
    out
}

/// `HH:MM:SS[.ffffff]` of a non-negative number of microseconds (hours may pass 24).
fn clock(t: i64) -> String {
    let secs = t / USECS_PER_SEC;
    let frac = t % USECS_PER_SEC;
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        let digits = format!(".{frac:06}");
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

/// Rounds a timestamp to `p` fractional digits (`timestamp(p)`), halves away from zero.
pub fn round_to_precision(us: i64, p: u32) -> i64 {
    let unit = 10_i64.pow(6 - p.min(6));
    let half = unit / 2;
    if us >= 0 {
        (us + half) / unit * unit
    } else {
        -((-us + half) / unit * unit)
    }
}

impl Interval {
    /// What PostgreSQL compares intervals by: a month is 30 days, a day 24 hours.
    pub fn span(self) -> i128 {
        i128::from(self.micros)
            + (i128::from(self.days) + i128::from(self.months) * 30) * i128::from(USECS_PER_DAY)
    }

    pub fn cmp_value(self, other: Interval) -> Ordering {
        self.span().cmp(&other.span())
    }

    pub fn checked_neg(self) -> Option<Interval> {
        Some(Interval {
            months: self.months.checked_neg()?,
            days: self.days.checked_neg()?,
            micros: self.micros.checked_neg()?,
        })
    }

    pub fn checked_add(self, o: Interval) -> Option<Interval> {
        Some(Interval {
            months: self.months.checked_add(o.months)?,
            days: self.days.checked_add(o.days)?,
            micros: self.micros.checked_add(o.micros)?,
        })
    }

    /// `a - b` of two timestamps: days and time, with whole days taken out of the time
    /// (PostgreSQL's `justify_hours`).
    pub fn between(a: i64, b: i64) -> Interval {
        let t = a - b;
        let mut days = t / USECS_PER_DAY;
        let mut micros = t % USECS_PER_DAY;
        if days > 0 && micros < 0 {
            micros += USECS_PER_DAY;
            days -= 1;
        } else if days < 0 && micros > 0 {
            micros -= USECS_PER_DAY;
            days += 1;
        }
        Interval {
            months: 0,
            days: i32::try_from(days).unwrap_or(i32::MAX),
            micros,
        }
    }
}

/// `ts + iv`: months first (the day of month kept, or the month's last day), then days, then
/// the time, as PostgreSQL's `timestamp_pl_interval` does.
pub fn add_interval(ts: i64, iv: Interval) -> Result<i64, DtErr> {
    let mut ts = ts;
    if iv.months != 0 {
        let day = ts.div_euclid(USECS_PER_DAY);
        let time = ts.rem_euclid(USECS_PER_DAY);
        let (y, m, d) = civil_from_days(day);
        let total = y * 12 + (m - 1) + i64::from(iv.months);
        let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
        if !YEARS.contains(&y) {
            return Err(DtErr::Overflow);
        }
        ts = days_from_civil(y, m, d.min(days_in_month(y, m))) * USECS_PER_DAY + time;
    }
    let ts = ts
        .checked_add(i64::from(iv.days) * USECS_PER_DAY)
        .and_then(|t| t.checked_add(iv.micros))
        .ok_or(DtErr::Overflow)?;
    in_range(ts)
}

/// Reads an interval: `N unit` pairs (microseconds to years, singular, plural or abbreviated,
/// signed, fractions below a day) and an `[-]HH:MM[:SS]` time.
pub fn parse_interval(input: &str) -> Result<Interval, DtErr> {
    let words: Vec<&str> = input.split_whitespace().collect();
    if words.is_empty() {
        return Err(DtErr::Syntax);
    }
    let mut iv = Interval::default();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w.contains(':') {
            let (neg, body) = match w.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, w.strip_prefix('+').unwrap_or(w)),
            };
            let t = parse_clock(body, true)?;
            iv.micros = iv
                .micros
                .checked_add(if neg { -t } else { t })
                .ok_or(DtErr::Range)?;
            i += 1;
            continue;
        }
        let (number, unit) = match words.get(i + 1) {
            Some(u) if w.parse::<f64>().is_ok() => {
                i += 2;
                (w, *u)
            }
            _ => {
                // `1hour`, `5min`: number and unit glued together.
                let split = w
                    .find(|c: char| c.is_ascii_alphabetic())
                    .ok_or(DtErr::Syntax)?;
                i += 1;
                w.split_at(split)
            }
        };
        add_part(&mut iv, number, unit)?;
    }
    Ok(iv)
}

fn add_part(iv: &mut Interval, number: &str, unit: &str) -> Result<(), DtErr> {
    let u = unit.to_ascii_lowercase();
    let u = u.trim_end_matches(',');
    let micros_per = match u {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" => Some(1),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => Some(1_000),
        "second" | "seconds" | "sec" | "secs" | "s" => Some(USECS_PER_SEC),
        "minute" | "minutes" | "min" | "mins" | "m" => Some(60 * USECS_PER_SEC),
        "hour" | "hours" | "hr" | "hrs" | "h" => Some(3600 * USECS_PER_SEC),
        _ => None,
    };
    if let Some(per) = micros_per {
        let value: f64 = number.parse().map_err(|_| DtErr::Syntax)?;
        let us = (value * per as f64).round();
        if !us.is_finite() || us.abs() > 9.0e18 {
            return Err(DtErr::Range);
        }
        iv.micros = iv.micros.checked_add(us as i64).ok_or(DtErr::Range)?;
        return Ok(());
    }
    if u == "ago" {
        return Err(DtErr::Unsupported);
    }
    let n: i32 = match number.parse() {
        Ok(n) => n,
        Err(_) if number.parse::<f64>().is_ok() => return Err(DtErr::Unsupported),
        Err(_) => return Err(DtErr::Syntax),
    };
    let (days, months) = match u {
        "day" | "days" | "d" => (n, 0),
        "week" | "weeks" | "w" => (n.checked_mul(7).ok_or(DtErr::Range)?, 0),
        "month" | "months" | "mon" | "mons" => (0, n),
        "year" | "years" | "yr" | "yrs" | "y" => (0, n.checked_mul(12).ok_or(DtErr::Range)?),
        _ => return Err(DtErr::Syntax),
    };
    iv.days = iv.days.checked_add(days).ok_or(DtErr::Range)?;
    iv.months = iv.months.checked_add(months).ok_or(DtErr::Range)?;
    Ok(())
}

/// An interval as PostgreSQL prints it: `1 year 2 mons 3 days 04:05:06`, `-01:30:00`,
/// `-1 days +02:00:00`, `00:00:00`.
impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let mut before_negative = false;
        let years = self.months / 12;
        let mons = self.months % 12;
        for (value, unit) in [
            (i64::from(years), "year"),
            (i64::from(mons), "mon"),
            (i64::from(self.days), "day"),
        ] {
            if value == 0 {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            if before_negative && value > 0 {
                out.push('+');
            }
            let plural = if value != 1 { "s" } else { "" };
            out.push_str(&format!("{value} {unit}{plural}"));
            before_negative = value < 0;
        }
        if out.is_empty() || self.micros != 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            if self.micros < 0 {
                out.push('-');
            } else if before_negative {
                out.push('+');
            }
            out.push_str(&clock(
                self.micros.unsigned_abs().min(i64::MAX as u64) as i64
            ));
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        parse_timestamp(s, false).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn iv(s: &str) -> Interval {
        parse_interval(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn timestamps_read_and_print_as_postgresql_does() {
        assert_eq!(ts("2024-01-01 00:00:00"), VIRTUAL_EPOCH);
        assert_eq!(
            format_timestamp(ts("2024-01-01 10:00:00"), false),
            "2024-01-01 10:00:00"
        );
        assert_eq!(
            format_timestamp(ts("2024-02-29T23:59:59.5"), false),
            "2024-02-29 23:59:59.5"
        );
        assert_eq!(
            format_timestamp(ts("2024-03-01"), true),
            "2024-03-01 00:00:00+00"
        );
        assert_eq!(
            parse_timestamp("2024-01-01 10:00:00+02", true).map(|t| format_timestamp(t, true)),
            Ok("2024-01-01 08:00:00+00".to_string())
        );
        // A zone is ignored for a timestamp without time zone.
        assert_eq!(ts("2024-01-01 10:00:00+02"), ts("2024-01-01 10:00:00"));
        assert_eq!(parse_timestamp("2023-02-29", false), Err(DtErr::Range));
        assert_eq!(
            parse_timestamp("2024-01-01 25:00", false),
            Err(DtErr::Range)
        );
        assert_eq!(parse_timestamp("soon", false), Err(DtErr::Syntax));
        assert_eq!(parse_timestamp("now", false), Err(DtErr::Unsupported));
        assert_eq!(
            parse_timestamp("01/02/2024", false),
            Err(DtErr::Unsupported)
        );
        for day in [-800_000, -1, 0, 1, 19_723, 2_932_896] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn intervals_read_print_and_add_as_postgresql_does() {
        assert_eq!(iv("1 hour").to_string(), "01:00:00");
        assert_eq!(iv("90 minutes").to_string(), "01:30:00");
        assert_eq!(iv("1.5 hours").to_string(), "01:30:00");
        assert_eq!(iv("1 day 02:00").to_string(), "1 day 02:00:00");
        assert_eq!(
            iv("2 years 3 months 1 week").to_string(),
            "2 years 3 mons 7 days"
        );
        assert_eq!(iv("-1 day 2 hours").to_string(), "-1 days +02:00:00");
        assert_eq!(iv("-90 min").to_string(), "-01:30:00");
        assert_eq!(iv("0 seconds").to_string(), "00:00:00");
        assert_eq!(iv("5min").to_string(), "00:05:00");
        assert_eq!(parse_interval("1.5 days"), Err(DtErr::Unsupported));
        assert_eq!(parse_interval("1 fortnight"), Err(DtErr::Syntax));
        assert_eq!(iv("1 day").cmp_value(iv("24 hours")), Ordering::Equal);
        let t = ts("2024-01-31 10:00:00");
        assert_eq!(
            add_interval(t, iv("1 month")).map(|x| format_timestamp(x, false)),
            Ok("2024-02-29 10:00:00".to_string())
        );
        assert_eq!(
            add_interval(ts("2024-01-01 23:30:00"), iv("90 minutes"))
                .map(|x| format_timestamp(x, false)),
            Ok("2024-01-02 01:00:00".to_string())
        );
        let d = Interval::between(ts("2024-01-02 12:00:00"), ts("2024-01-01 10:30:00"));
        assert_eq!(d.to_string(), "1 day 01:30:00");
        let d = Interval::between(ts("2024-01-01 10:30:00"), ts("2024-01-02 12:00:00"));
        assert_eq!(d.to_string(), "-1 days -01:30:00");
    }
}
