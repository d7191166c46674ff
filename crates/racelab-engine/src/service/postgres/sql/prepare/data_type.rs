//! AST → IR for column types (CREATE TABLE, casts, typed literals): a leaf both use.

use sqlparser::ast;

use super::common::ns;
use super::ir::SqlType;
use crate::sql::error::SqlError;

pub(super) fn data_type(dt: &ast::DataType) -> Result<SqlType, SqlError> {
    use ast::DataType as D;
    Ok(match dt {
        D::Int(None) | D::Int4(None) | D::Integer(None) => SqlType::Int4,
        D::BigInt(None) | D::Int8(None) => SqlType::Int8,
        D::SmallInt(None) | D::Int2(None) => SqlType::Int2,
        D::Text => SqlType::Text,
        D::Varchar(len) | D::CharacterVarying(len) | D::CharVarying(len) => match len {
            None => SqlType::Varchar(None),
            Some(ast::CharacterLength::IntegerLength { length, unit: None }) => {
                match u32::try_from(*length) {
                    Ok(n) if (1..=10_485_760).contains(&n) => SqlType::Varchar(Some(n)),
                    _ => return ns(format!("the type {dt}")),
                }
            }
            Some(_) => return ns(format!("the type {dt}")),
        },
        D::Bool | D::Boolean => SqlType::Bool,
        D::Numeric(info) | D::Decimal(info) | D::Dec(info) => {
            let (p, s) = match info {
                ast::ExactNumberInfo::None => return Ok(SqlType::Numeric(None)),
                ast::ExactNumberInfo::Precision(p) => (*p, 0),
                ast::ExactNumberInfo::PrecisionAndScale(p, s) => (*p, *s),
            };
            match (u32::try_from(p), u32::try_from(s)) {
                (Ok(p), Ok(s)) if (1..=38).contains(&p) && s <= p => SqlType::Numeric(Some((p, s))),
                _ => {
                    return ns(format!(
                        "the type {dt} (numeric(p, s) with 0 <= s <= p <= 38)"
                    ))
                }
            }
        }
        D::Timestamp(p, tz) => {
            let p = match p {
                None => None,
                Some(p) if *p <= 6 => u32::try_from(*p).ok(),
                Some(_) => return ns(format!("the type {dt} (precision above 6)")),
            };
            match tz {
                ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone => {
                    SqlType::Timestamp(p)
                }
                ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz => SqlType::TimestampTz(p),
            }
        }
        D::Interval {
            fields: None,
            precision: None,
        } => SqlType::Interval,
        D::Custom(name, args) if args.is_empty() => {
            let n = name.to_string().to_lowercase();
            match n.as_str() {
                "int4" => SqlType::Int4,
                "int8" => SqlType::Int8,
                "int2" => SqlType::Int2,
                "bool" => SqlType::Bool,
                "varchar" => SqlType::Varchar(None),
                "timestamptz" => SqlType::TimestampTz(None),
                _ => return ns(format!("the type {dt}")),
            }
        }
        other => return ns(format!("the type {other}")),
    })
}
