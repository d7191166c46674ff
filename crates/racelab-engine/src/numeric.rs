//! Exact decimal numbers, as PostgreSQL's `numeric` computes them (for the values lessons use).
//!
//! A [`Numeric`] is `mant / 10^scale` with a 128-bit mantissa: up to 38 significant digits,
//! which covers `numeric(p, s)` with `p <= 38`. Results that would need more digits are an
//! error ([`NumErr::TooBig`]) rather than a rounded value. The scale is part of the value, as in
//! PostgreSQL (`100.50` keeps its two decimals); equality and order of the derived traits are
//! structural (same digits and scale), [`Numeric::cmp_value`] compares values.
//!
//! The rules are PostgreSQL's: `+` and `-` keep the larger scale, `*` adds the scales, `/`
//! chooses its scale by `select_div_scale` (at least 16 significant digits) and rounds half away
//! from zero, as do [`Numeric::round`] and storing into `numeric(p, s)`.

use std::cmp::Ordering;
use std::fmt;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Numeric {
    mant: i128,
    scale: u32,
}

/// Why a computation has no numeric result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumErr {
    DivisionByZero,
    /// More than 38 significant digits.
    TooBig,
}

/// 10^n, if it fits.
fn pow10(n: u32) -> Result<i128, NumErr> {
    10i128.checked_pow(n).ok_or(NumErr::TooBig)
}

/// `n / d` rounded half away from zero.
fn div_round(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    if r.unsigned_abs() * 2 >= d.unsigned_abs() {
        if (n < 0) != (d < 0) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

impl Numeric {
    pub fn new(mant: i128, scale: u32) -> Numeric {
        Numeric { mant, scale }
    }

    pub fn from_int(i: i64) -> Numeric {
        Numeric::new(i128::from(i), 0)
    }

    pub fn scale(self) -> u32 {
        self.scale
    }

    /// The same value with no trailing fractional zeros (`1.50` → `1.5`, `2.00` → `2`): one
    /// form per value, for what compares by value (keys, groups, DISTINCT).
    pub fn normalized(self) -> Numeric {
        let mut n = self;
        while n.scale > 0 && n.mant % 10 == 0 {
            n.mant /= 10;
            n.scale -= 1;
        }
        n
    }

    pub fn is_zero(self) -> bool {
        self.mant == 0
    }

    /// Parses PostgreSQL's numeric input: `[+-]digits[.digits]`, surrounding spaces allowed.
    pub fn parse(s: &str) -> Option<Numeric> {
        let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
        let (neg, body) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits_ok(int) || !digits_ok(frac) {
            return None;
        }
        let scale = u32::try_from(frac.len()).ok()?;
        let all = format!("{int}{frac}");
        let all = all.trim_start_matches('0');
        let mant: i128 = if all.is_empty() { 0 } else { all.parse().ok()? };
        Some(Numeric::new(if neg { -mant } else { mant }, scale))
    }

    /// The same value with `scale` decimals (rounded half away from zero when fewer).
    pub fn rescale(self, scale: u32) -> Result<Numeric, NumErr> {
        Ok(match scale.cmp(&self.scale) {
            Ordering::Equal => self,
            Ordering::Greater => Numeric::new(
                self.mant
                    .checked_mul(pow10(scale - self.scale)?)
                    .ok_or(NumErr::TooBig)?,
                scale,
            ),
            Ordering::Less => match pow10(self.scale - scale) {
                Ok(d) => Numeric::new(div_round(self.mant, d), scale),
                // More than 38 digits dropped: the value rounds to zero.
                Err(_) => Numeric::new(0, scale),
            },
        })
    }

    /// PostgreSQL's `round(x, n)`: `n` decimals (negative: round to tens, hundreds, ...).
    pub fn round(self, n: i32) -> Result<Numeric, NumErr> {
        if n >= 0 {
            return self.rescale(n.unsigned_abs());
        }
        let d = pow10(self.scale + n.unsigned_abs())?;
        let m = div_round(self.mant, d);
        Ok(Numeric::new(m * pow10(n.unsigned_abs())?, 0))
    }

    /// Both at the larger scale.
    fn aligned(self, o: Numeric) -> Result<(i128, i128, u32), NumErr> {
        let s = self.scale.max(o.scale);
        Ok((self.rescale(s)?.mant, o.rescale(s)?.mant, s))
    }

    pub fn checked_add(self, o: Numeric) -> Result<Numeric, NumErr> {
        let (a, b, s) = self.aligned(o)?;
        Ok(Numeric::new(a.checked_add(b).ok_or(NumErr::TooBig)?, s))
    }

    pub fn checked_sub(self, o: Numeric) -> Result<Numeric, NumErr> {
        self.checked_add(o.negate())
    }

    pub fn negate(self) -> Numeric {
        Numeric::new(-self.mant, self.scale)
    }

    pub fn checked_mul(self, o: Numeric) -> Result<Numeric, NumErr> {
        let m = self.mant.checked_mul(o.mant).ok_or(NumErr::TooBig)?;
        Ok(Numeric::new(m, self.scale + o.scale))
    }

    /// The first base-10000 digit group that is not zero, with its weight (PostgreSQL stores
    /// numerics in such groups; `select_div_scale` looks at them).
    fn first_group(self) -> (i64, i128) {
        if self.mant == 0 {
            return (0, 0);
        }
        let digits = i64::try_from(self.mant.unsigned_abs().to_string().len()).unwrap_or(0);
        // Position of the leading digit relative to the decimal point (0: units).
        let lead = digits - 1 - i64::from(self.scale);
        let weight = lead.div_euclid(4);
        // The group's value: the digits from 10^(4*weight) to 10^(4*weight+3).
        let shift = 4 * weight - (-i64::from(self.scale));
        let abs = self.mant.abs();
        let group = if shift >= 0 {
            abs / 10i128.pow(u32::try_from(shift).unwrap_or(0))
        } else {
            abs * 10i128.pow(u32::try_from(-shift).unwrap_or(0))
        };
        (weight, group % 10_000)
    }

    /// Division with PostgreSQL's result scale (`select_div_scale`), rounded half away from
    /// zero.
    pub fn checked_div(self, o: Numeric) -> Result<Numeric, NumErr> {
        if o.mant == 0 {
            return Err(NumErr::DivisionByZero);
        }
        let (w1, d1) = self.first_group();
        let (w2, d2) = o.first_group();
        let mut qweight = w1 - w2;
        if d1 <= d2 {
            qweight -= 1;
        }
        let rscale = (16 - qweight * 4)
            .max(i64::from(self.scale))
            .max(i64::from(o.scale))
            .clamp(0, 1000);
        let rscale = u32::try_from(rscale).map_err(|_| NumErr::TooBig)?;
        self.div_at(o, rscale)
    }

    /// `self / o` rounded to `rscale` decimals.
    fn div_at(self, o: Numeric, rscale: u32) -> Result<Numeric, NumErr> {
        // mant1 * 10^k / mant2 has scale s1 + k - s2 = rscale.
        let k = i64::from(rscale) + i64::from(o.scale) - i64::from(self.scale);
        let (n, d) = if k >= 0 {
            let k = u32::try_from(k).map_err(|_| NumErr::TooBig)?;
            (
                self.mant.checked_mul(pow10(k)?).ok_or(NumErr::TooBig)?,
                o.mant,
            )
        } else {
            let k = u32::try_from(-k).map_err(|_| NumErr::TooBig)?;
            (
                self.mant,
                o.mant.checked_mul(pow10(k)?).ok_or(NumErr::TooBig)?,
            )
        };
        Ok(Numeric::new(div_round(n, d), rscale))
    }

    /// `%`: the remainder of truncating division, at the larger scale.
    pub fn checked_rem(self, o: Numeric) -> Result<Numeric, NumErr> {
        if o.mant == 0 {
            return Err(NumErr::DivisionByZero);
        }
        let (a, b, s) = self.aligned(o)?;
        Ok(Numeric::new(a % b, s))
    }

    pub fn cmp_value(self, o: Numeric) -> Ordering {
        match self.aligned(o) {
            Ok((a, b, _)) => a.cmp(&b),
            // Too many digits to align: the one with the larger scale is the smaller in size.
            Err(_) => self.to_f64().total_cmp(&o.to_f64()),
        }
    }

    fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(0.0)
    }

    /// The number of digits before the decimal point (0 for |x| < 1).
    pub fn int_digits(self) -> u32 {
        let digits = u32::try_from(self.mant.unsigned_abs().to_string().len()).unwrap_or(0);
        if self.mant == 0 {
            0
        } else {
            digits.saturating_sub(self.scale)
        }
    }

    /// The integer part (truncated toward zero), if it fits in i64.
    pub fn trunc_i64(self) -> Option<i64> {
        let d = pow10(self.scale).ok()?;
        i64::try_from(self.mant / d).ok()
    }

    /// The value rounded to an integer (half away from zero), if it fits in i64.
    pub fn to_i64(self) -> Option<i64> {
        let r = self.rescale(0).ok()?;
        i64::try_from(r.mant).ok()
    }
}

/// PostgreSQL's text output: all `scale` decimals, no exponent (`100.50`, `-0.125`, `0`).
impl fmt::Display for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mant.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let sign = if self.mant < 0 { "-" } else { "" };
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Numeric {
        Numeric::parse(s).unwrap()
    }

    #[test]
    fn postgres_scales_and_rounding() {
        assert_eq!(n("100.5").to_string(), "100.5");
        assert_eq!(n("-0.125").to_string(), "-0.125");
        assert_eq!(n("0.125").rescale(2).unwrap().to_string(), "0.13");
        assert_eq!(n("-1.005").rescale(2).unwrap().to_string(), "-1.01");
        assert_eq!(
            n("100.50").checked_add(n("0.25")).unwrap().to_string(),
            "100.75"
        );
        assert_eq!(
            n("100.50").checked_mul(n("1.5")).unwrap().to_string(),
            "150.750"
        );
        assert_eq!(
            n("10.00").checked_div(n("3")).unwrap().to_string(),
            "3.3333333333333333"
        );
        assert_eq!(
            n("1").checked_div(n("3.0")).unwrap().to_string(),
            "0.33333333333333333333"
        );
        assert_eq!(
            n("3").checked_div(n("2")).unwrap().to_string(),
            "1.5000000000000000"
        );
        assert_eq!(n("2.5").round(0).unwrap().to_string(), "3");
        assert_eq!(n("-2.5").round(0).unwrap().to_string(), "-3");
        assert_eq!(n("1234.5").round(-2).unwrap().to_string(), "1200");
        assert_eq!(n("1").checked_div(n("0")), Err(NumErr::DivisionByZero));
        assert_eq!(n("999.995").rescale(2).unwrap().int_digits(), 4);
        assert_eq!(n("1.10").cmp_value(n("1.1")), Ordering::Equal);
    }
}
