//! Expressions of the script language: a small, Python-like calculator over [`Value`]s.
//!
//! Grammar (loosest first): `or`, `and`, `not`, comparisons (`==` or `=`, `!=`, `<`, `<=`, `>`,
//! `>=`, `is null`, `is not null`), `+ -`, `* / %`, unary `-`, then literals (`42`, `'text'` or
//! `"text"`, `null`, `true`, `false`), variables, `now()` and parentheses.

use crate::numeric::{NumErr, Numeric};
use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Expr {
    Lit(Value),
    Var(String),
    /// `now()`: the client's virtual time in milliseconds.
    Now,
    /// `int(x)`: text of digits as an integer (a cache gives back text); `str(x)`: as text;
    /// `field(x, 'name')`: a field of a JSON object held as text.
    Call(Func, Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    IsNull(Box<Expr>, bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Func {
    Int,
    Str,
    /// `field(x, name)`: a field of a JSON object held as text (a cached record).
    Field,
}

impl Func {
    fn name(self) -> &'static str {
        match self {
            Func::Int => "int",
            Func::Str => "str",
            Func::Field => "field",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Lit(v) => write!(f, "{v}"),
            Expr::Var(name) => f.write_str(name),
            Expr::Now => f.write_str("now()"),
            Expr::Call(func, args) => {
                let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
                write!(f, "{}({})", func.name(), args.join(", "))
            }
            Expr::Not(e) => write!(f, "not {e}"),
            Expr::Neg(e) => write!(f, "-{e}"),
            Expr::Bin(op, a, b) => write!(f, "{a} {} {b}", op.symbol()),
            Expr::IsNull(e, true) => write!(f, "{e} is null"),
            Expr::IsNull(e, false) => write!(f, "{e} is not null"),
        }
    }
}

/// A parse error: a message and the 0-based byte column in the parsed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub col: usize,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Int(i64),
    Str(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let n = src[start..i].parse::<i64>().map_err(|_| ExprError {
                col: start,
                message: format!("number {} is too large", &src[start..i]),
            })?;
            out.push((start, Tok::Int(n)));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((start, Tok::Ident(src[start..i].to_string())));
            continue;
        }
        if c == b'\'' || c == b'"' {
            let (text, end) = lex_string(src, start)?;
            out.push((start, Tok::Str(text)));
            i = end;
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or("");
        let op: Option<&'static str> = match two {
            "==" => Some("=="),
            "!=" => Some("!="),
            "<>" => Some("!="),
            "<=" => Some("<="),
            ">=" => Some(">="),
            _ => None,
        };
        if let Some(op) = op {
            out.push((start, Tok::Op(op)));
            i += 2;
            continue;
        }
        let tok = match c {
            b'=' => Tok::Op("=="),
            b'<' => Tok::Op("<"),
            b'>' => Tok::Op(">"),
            b'+' => Tok::Op("+"),
            b'-' => Tok::Op("-"),
            b'*' => Tok::Op("*"),
            b'/' => Tok::Op("/"),
            b'%' => Tok::Op("%"),
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b',' => Tok::Comma,
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(ExprError {
                    col: start,
                    message: format!("unexpected character '{ch}'"),
                });
            }
        };
        out.push((start, tok));
        i += 1;
    }
    Ok(out)
}

/// A quoted text starting at byte `start`: its value and the byte after the closing quote.
/// A doubled quote stands for itself, as in SQL.
fn lex_string(src: &str, start: usize) -> Result<(String, usize), ExprError> {
    let bytes = src.as_bytes();
    let quote = bytes[start];
    let mut i = start + 1;
    let mut s = String::new();
    loop {
        match src[i..].chars().next() {
            None => {
                return Err(ExprError {
                    col: start,
                    message: "this text has no closing quote".into(),
                })
            }
            Some(ch) if ch as u32 == quote as u32 => {
                if bytes.get(i + 1) == Some(&quote) {
                    s.push(ch);
                    i += 2;
                } else {
                    return Ok((s, i + 1));
                }
            }
            Some(ch) => {
                s.push(ch);
                i += ch.len_utf8();
            }
        }
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

/// Words that cannot name a variable.
pub const RESERVED: &[&str] = &[
    "and", "or", "not", "is", "null", "true", "false", "if", "elif", "else", "sleep", "return",
    "fail",
];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }
    fn col(&self) -> usize {
        self.toks.get(self.pos).map(|(c, _)| *c).unwrap_or(self.end)
    }
    fn err<T>(&self, message: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError {
            col: self.col(),
            message: message.into(),
        })
    }
    fn eat_word(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        if let Some(Tok::Op(op)) = self.peek() {
            if let Some(found) = ops.iter().find(|o| *o == op) {
                self.pos += 1;
                return Some(found);
            }
        }
        None
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.and()?;
        while self.eat_word("or") {
            let right = self.and()?;
            left = Expr::Bin(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.not()?;
        while self.eat_word("and") {
            let right = self.not()?;
            left = Expr::Bin(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<Expr, ExprError> {
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Expr, ExprError> {
        let left = self.add()?;
        if self.eat_word("is") {
            let negated = self.eat_word("not");
            if !self.eat_word("null") {
                return self.err("expected `null` after `is`");
            }
            return Ok(Expr::IsNull(Box::new(left), !negated));
        }
        let op = match self.eat_op(&["==", "!=", "<", "<=", ">", ">="]) {
            Some("==") => BinOp::Eq,
            Some("!=") => BinOp::Ne,
            Some("<") => BinOp::Lt,
            Some("<=") => BinOp::Le,
            Some(">") => BinOp::Gt,
            Some(">=") => BinOp::Ge,
            _ => return Ok(left),
        };
        let right = self.add()?;
        Ok(Expr::Bin(op, Box::new(left), Box::new(right)))
    }
    fn add(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.mul()?;
        while let Some(op) = self.eat_op(&["+", "-"]) {
            let right = self.mul()?;
            let op = if op == "+" { BinOp::Add } else { BinOp::Sub };
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn mul(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        while let Some(op) = self.eat_op(&["*", "/", "%"]) {
            let right = self.unary()?;
            let op = match op {
                "*" => BinOp::Mul,
                "/" => BinOp::Div,
                _ => BinOp::Rem,
            };
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat_op(&["-"]).is_some() {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Expr, ExprError> {
        let col = self.col();
        let Some(tok) = self.peek().cloned() else {
            return self.err("expected a value here");
        };
        self.pos += 1;
        match tok {
            Tok::Int(n) => Ok(Expr::Lit(Value::Int(n))),
            Tok::Str(s) => Ok(Expr::Lit(Value::Text(s))),
            Tok::LParen => {
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("expected `)`");
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::Ident(word) => {
                let lower = word.to_ascii_lowercase();
                match lower.as_str() {
                    "null" => return Ok(Expr::Lit(Value::Null)),
                    "true" => return Ok(Expr::Lit(Value::Bool(true))),
                    "false" => return Ok(Expr::Lit(Value::Bool(false))),
                    _ => {}
                }
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    if lower == "now" && self.peek() == Some(&Tok::RParen) {
                        self.pos += 1;
                        return Ok(Expr::Now);
                    }
                    let (func, arity) = match lower.as_str() {
                        "int" => (Func::Int, 1),
                        "str" => (Func::Str, 1),
                        "field" => (Func::Field, 2),
                        _ => {
                            return Err(ExprError {
                                col,
                                message: format!(
                                    "unknown function `{word}` (the script knows `now()`, `int(x)`, `str(x)` and `field(x, 'name')`)"
                                ),
                            })
                        }
                    };
                    let mut args = vec![self.or()?];
                    while self.peek() == Some(&Tok::Comma) {
                        self.pos += 1;
                        args.push(self.or()?);
                    }
                    if self.peek() != Some(&Tok::RParen) || args.len() != arity {
                        return Err(ExprError {
                            col,
                            message: format!("`{word}` takes {arity} value(s) in parentheses"),
                        });
                    }
                    self.pos += 1;
                    return Ok(Expr::Call(func, args));
                }
                if RESERVED.contains(&lower.as_str()) {
                    return Err(ExprError {
                        col,
                        message: format!("`{word}` is a keyword, not a value"),
                    });
                }
                Ok(Expr::Var(word))
            }
            Tok::Op(op) => Err(ExprError {
                col,
                message: format!("expected a value, found `{op}`"),
            }),
            Tok::RParen => Err(ExprError {
                col,
                message: "expected a value, found `)`".into(),
            }),
            Tok::Comma => Err(ExprError {
                col,
                message: "expected a value, found `,`".into(),
            }),
        }
    }
}

/// Parses a whole expression; `src` must contain nothing else.
pub fn parse_expr(src: &str) -> Result<Expr, ExprError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: src.len(),
    };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return p.err("unexpected text after the expression");
    }
    Ok(e)
}

/// Evaluation context: the client's variables and its virtual time.
pub struct Env<'a> {
    pub vars: &'a BTreeMap<String, Value>,
    pub now: u64,
}

/// Evaluates an expression. Errors are written for students ("cannot compute bal - 200: bal is null").
pub fn eval(e: &Expr, env: &Env) -> Result<Value, String> {
    match e {
        Expr::Lit(v) => Ok(v.clone()),
        Expr::Var(name) => env
            .vars
            .get(name)
            .cloned()
            .ok_or_else(|| format!("variable `{name}` has no value yet")),
        Expr::Now => Ok(Value::Int(env.now as i64)),
        Expr::Call(func, args) => {
            let vals = args
                .iter()
                .map(|a| eval(a, env))
                .collect::<Result<Vec<_>, _>>()?;
            call(*func, vals)
        }
        Expr::Not(inner) => match eval(inner, env)? {
            Value::Bool(b) => Ok(Value::Bool(!b)),
            other => Err(format!("`not` needs true or false, got {other}")),
        },
        Expr::Neg(inner) => match eval(inner, env)? {
            Value::Int(i) => i
                .checked_neg()
                .map(Value::Int)
                .ok_or_else(|| "integer overflow".to_string()),
            other => Err(format!("cannot negate {other}")),
        },
        Expr::IsNull(inner, want_null) => {
            Ok(Value::Bool(eval(inner, env)?.is_null() == *want_null))
        }
        Expr::Bin(op @ (BinOp::And | BinOp::Or), a, b) => {
            let a_val = truth(eval(a, env)?, a, *op)?;
            // Short-circuit, as students expect from Python.
            if (*op == BinOp::And && !a_val) || (*op == BinOp::Or && a_val) {
                return Ok(Value::Bool(a_val));
            }
            Ok(Value::Bool(truth(eval(b, env)?, b, *op)?))
        }
        Expr::Bin(op, a, b) => {
            let (x, y) = (eval(a, env)?, eval(b, env)?);
            binary(*op, &x, &y).map_err(|why| format!("cannot compute {e}: {why}"))
        }
    }
}

fn call(func: Func, mut vals: Vec<Value>) -> Result<Value, String> {
    if func == Func::Field {
        let name = vals.pop().unwrap_or(Value::Null);
        let obj = vals.pop().unwrap_or(Value::Null);
        return match (obj, name) {
            (Value::Text(json), Value::Text(name)) => json_field(&json, &name),
            (Value::Null, _) => Err("cannot compute field(null, …)".into()),
            (other, _) => Err(format!(
                "field() reads a JSON object held as text, not {other}"
            )),
        };
    }
    let v = vals.pop().unwrap_or(Value::Null);
    match (func, v) {
        (_, Value::Null) => Err(format!("cannot compute {}(null)", func.name())),
        (Func::Int, Value::Int(i)) => Ok(Value::Int(i)),
        (Func::Int, Value::Bool(b)) => Ok(Value::Int(b as i64)),
        (Func::Int, Value::Num(n)) => n
            .trunc_i64()
            .map(Value::Int)
            .ok_or_else(|| format!("cannot convert {n} to an integer")),
        (Func::Int, v @ (Value::Timestamp(_) | Value::TimestampTz(_) | Value::Interval(_))) => {
            Err(format!("cannot convert {v} to an integer"))
        }
        (Func::Int, Value::Text(s)) => s
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("cannot convert '{s}' to an integer")),
        (Func::Str, Value::Text(s)) => Ok(Value::Text(s)),
        (Func::Str, other) => Ok(Value::Text(other.plain())),
        (Func::Field, _) => Err("field() takes two values".into()),
    }
}

/// A field of a flat JSON object: `{"price": 9900, "name": "Phone", "sale": true}`. Strings,
/// integers, booleans and null; nested objects and arrays are not supported.
fn json_field(json: &str, name: &str) -> Result<Value, String> {
    let body = json
        .trim()
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or_else(|| format!("'{json}' is not a JSON object"))?;
    let mut rest = body.trim();
    while !rest.is_empty() {
        let (key, after) =
            json_string(rest).ok_or_else(|| format!("cannot read '{json}' as JSON"))?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or_else(|| format!("cannot read '{json}' as JSON"))?
            .trim_start();
        let (value, after) = if after.starts_with('"') {
            let (s, a) =
                json_string(after).ok_or_else(|| format!("cannot read '{json}' as JSON"))?;
            (Value::Text(s), a)
        } else {
            let end = after.find(',').unwrap_or(after.len());
            let raw = after[..end].trim();
            let v = match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                n => Value::Int(n.parse::<i64>().map_err(|_| {
                    format!("the JSON value {n} is not supported by the simulator (strings, integers, booleans, null)")
                })?),
            };
            (v, &after[end..])
        };
        if key == name {
            return Ok(value);
        }
        rest = after
            .trim_start()
            .strip_prefix(',')
            .unwrap_or("")
            .trim_start();
    }
    Err(format!("the JSON object has no field \"{name}\""))
}

/// A JSON string at the start of `s` (with `\"` and `\\` escapes) and what follows it.
fn json_string(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.strip_prefix('"')?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 2..])),
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

fn truth(v: Value, e: &Expr, op: BinOp) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(b),
        other => Err(format!(
            "`{}` needs true or false, but {e} is {other}",
            op.symbol()
        )),
    }
}

fn binary(op: BinOp, x: &Value, y: &Value) -> Result<Value, String> {
    use Value::*;
    if let Some((a, b)) = numeric_pair(x, y) {
        return numeric_binary(op, a, b);
    }
    match op {
        BinOp::Eq => return Ok(Bool(x == y)),
        BinOp::Ne => return Ok(Bool(x != y)),
        _ => {}
    }
    match (x, y) {
        (Null, _) | (_, Null) => Err("a value is null".into()),
        (Int(a), Int(b)) => {
            let (a, b) = (*a, *b);
            let r = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div | BinOp::Rem if b == 0 => return Err("division by zero".into()),
                BinOp::Div => a.checked_div(b),
                BinOp::Rem => a.checked_rem(b),
                BinOp::Lt => return Ok(Bool(a < b)),
                BinOp::Le => return Ok(Bool(a <= b)),
                BinOp::Gt => return Ok(Bool(a > b)),
                BinOp::Ge => return Ok(Bool(a >= b)),
                _ => None,
            };
            r.map(Int).ok_or_else(|| "integer overflow".into())
        }
        (Text(a), Text(b)) => match op {
            BinOp::Add => Ok(Text(format!("{a}{b}"))),
            BinOp::Lt => Ok(Bool(a < b)),
            BinOp::Le => Ok(Bool(a <= b)),
            BinOp::Gt => Ok(Bool(a > b)),
            BinOp::Ge => Ok(Bool(a >= b)),
            _ => Err(format!("`{}` does not apply to text", op.symbol())),
        },
        _ => Err(format!(
            "`{}` does not apply to {} and {}",
            op.symbol(),
            x.type_name(),
            y.type_name()
        )),
    }
}

/// Two numbers of which at least one is a decimal (SQL numeric), both as decimals.
fn numeric_pair(x: &Value, y: &Value) -> Option<(Numeric, Numeric)> {
    match (x, y) {
        (Value::Num(a), Value::Num(b)) => Some((*a, *b)),
        (Value::Num(a), Value::Int(b)) => Some((*a, Numeric::from_int(*b))),
        (Value::Int(a), Value::Num(b)) => Some((Numeric::from_int(*a), *b)),
        _ => None,
    }
}

/// Decimal arithmetic as PostgreSQL's numeric does it (`bal - 200` on `100.50` is `-99.50`).
fn numeric_binary(op: BinOp, a: Numeric, b: Numeric) -> Result<Value, String> {
    use std::cmp::Ordering::*;
    let r = match op {
        BinOp::Add => a.checked_add(b),
        BinOp::Sub => a.checked_sub(b),
        BinOp::Mul => a.checked_mul(b),
        BinOp::Div => a.checked_div(b),
        BinOp::Rem => a.checked_rem(b),
        BinOp::Eq => return Ok(Value::Bool(a.cmp_value(b) == Equal)),
        BinOp::Ne => return Ok(Value::Bool(a.cmp_value(b) != Equal)),
        BinOp::Lt => return Ok(Value::Bool(a.cmp_value(b) == Less)),
        BinOp::Le => return Ok(Value::Bool(a.cmp_value(b) != Greater)),
        BinOp::Gt => return Ok(Value::Bool(a.cmp_value(b) == Greater)),
        BinOp::Ge => return Ok(Value::Bool(a.cmp_value(b) != Less)),
        _ => return Err(format!("`{}` does not apply to numbers", op.symbol())),
    };
    r.map(Value::Num).map_err(|e| match e {
        NumErr::DivisionByZero => "division by zero".to_string(),
        NumErr::TooBig => "decimal overflow".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str, vars: &[(&str, Value)]) -> Result<Value, String> {
        let vars: BTreeMap<String, Value> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let e = parse_expr(src).map_err(|e| e.message)?;
        eval(
            &e,
            &Env {
                vars: &vars,
                now: 42,
            },
        )
    }

    #[test]
    fn arithmetic_follows_precedence() {
        assert_eq!(
            run("bal - 200 * 2", &[("bal", Value::Int(500))]),
            Ok(Value::Int(100))
        );
        assert_eq!(run("(1 + 2) * 3 % 4", &[]), Ok(Value::Int(1)));
        assert_eq!(run("-7 / 2", &[]), Ok(Value::Int(-3)));
        assert_eq!(run("now() + 1", &[]), Ok(Value::Int(43)));
        assert_eq!(run("int('9900') == 9900", &[]), Ok(Value::Bool(true)));
        assert_eq!(run("str(7900) + '!'", &[]), Ok(Value::Text("7900!".into())));
        assert!(run("int('nine')", &[])
            .unwrap_err()
            .contains("cannot convert 'nine'"));
    }

    #[test]
    fn decimal_arithmetic_on_numeric_values() {
        let bal = Value::Num(Numeric::parse("100.50").unwrap());
        let vars = [("bal", bal)];
        let dec = |s: &str| Value::Num(Numeric::parse(s).unwrap());
        assert_eq!(run("bal - 200", &vars), Ok(dec("-99.50")));
        assert_eq!(run("bal * 2", &vars), Ok(dec("201.00")));
        assert_eq!(run("bal >= 100", &vars), Ok(Value::Bool(true)));
        assert_eq!(run("int(bal)", &vars), Ok(Value::Int(100)));
        assert_eq!(run("str(bal)", &vars), Ok(Value::Text("100.50".into())));
    }

    #[test]
    fn comparisons_and_logic() {
        let v = [("bal", Value::Int(150))];
        assert_eq!(run("bal < 200 and not false", &v), Ok(Value::Bool(true)));
        assert_eq!(run("bal = 150", &v), Ok(Value::Bool(true)));
        assert_eq!(run("bal is null or bal >= 151", &v), Ok(Value::Bool(false)));
        assert_eq!(
            run("x is not null", &[("x", Value::Null)]),
            Ok(Value::Bool(false))
        );
        assert_eq!(run("'a' + 'b' == \"ab\"", &[]), Ok(Value::Bool(true)));
        // Short-circuit: the right side would be an error.
        assert_eq!(run("false and missing", &[]), Ok(Value::Bool(false)));
    }

    #[test]
    fn errors_explain_themselves() {
        assert_eq!(
            run("bal - 200", &[("bal", Value::Null)]),
            Err("cannot compute bal - 200: a value is null".to_string())
        );
        assert_eq!(
            run("nope + 1", &[]),
            Err("variable `nope` has no value yet".to_string())
        );
        assert_eq!(
            run("1 / 0", &[]),
            Err("cannot compute 1 / 0: division by zero".to_string())
        );
        assert_eq!(
            run("9223372036854775807 + 1", &[]),
            Err("cannot compute 9223372036854775807 + 1: integer overflow".to_string())
        );
        assert_eq!(
            run("1 + 'a'", &[]),
            Err("cannot compute 1 + 'a': `+` does not apply to integer and text".to_string())
        );
        let e = parse_expr("bal - ").unwrap_err();
        assert_eq!(e.col, 6);
        let e = parse_expr("1 + $").unwrap_err();
        assert_eq!((e.col, e.message.as_str()), (4, "unexpected character '$'"));
        assert!(parse_expr("'open")
            .unwrap_err()
            .message
            .contains("closing quote"));
        assert!(parse_expr("max(1)")
            .unwrap_err()
            .message
            .contains("unknown function"));
    }
}
