//! Parsing SQL text with sqlparser, statement by statement, and PostgreSQL's wording and
//! positions for syntax errors.

use std::sync::Arc;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token};

use super::common::syntax_error_near;
use super::ir::{Inner, Prepared, Stmt, Strength};
use super::params::stmt_params;
use super::translate::translate;
use crate::sql::error::SqlError;

pub(super) fn parse_all(sql: &str) -> Result<Vec<(usize, Prepared)>, SqlError> {
    let dialect = PostgreSqlDialect {};
    let offsets = LineOffsets::new(sql);
    let (readable, weaker) = weaker_strengths(&dialect, sql, &offsets);
    let mut parser = Parser::new(&dialect)
        .try_with_sql(&readable)
        .map_err(syntax_error)?;
    let mut out = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let first = parser.peek_token();
        if first.token == Token::EOF {
            break;
        }
        let start = first.span.start;
        let refine = |e: SqlError| {
            locking_clause_gap(&dialect, &readable, e.position)
                .or_else(|| conflict_target_gap(&dialect, &readable, e.position))
                .or_else(|| star_alias_error(&dialect, &readable, start, e.position))
                .unwrap_or(e)
        };
        let stmt = parser
            .parse_statement()
            .map_err(|e| refine(syntax_error(e)))?;
        let next = parser.peek_token();
        match next.token {
            Token::SemiColon | Token::EOF => {}
            _ => {
                return Err(refine(syntax_error_near(
                    &next.token.to_string(),
                    next.span.start,
                )));
            }
        }
        let begin = offsets.byte(start).unwrap_or(0);
        let end = if next.token == Token::EOF {
            sql.len()
        } else {
            offsets.byte(next.span.start).unwrap_or(sql.len())
        };
        let text = sql.get(begin..end).unwrap_or(sql).trim().to_string();
        let line = usize::try_from(start.line).unwrap_or(1).max(1);
        let ir = translate(stmt).map_err(|e| {
            if e.position.is_none() {
                let column = usize::try_from(start.column).unwrap_or(1).max(1);
                e.at(line, column)
            } else {
                e
            }
        })?;
        let ir = with_weaker_strength(ir, &weaker, begin..end);
        let params = stmt_params(&ir);
        out.push((
            line,
            Prepared {
                inner: Arc::new(Inner {
                    stmt: ir,
                    text,
                    params,
                }),
            },
        ));
    }
    Ok(out)
}

/// sqlparser reads `FOR UPDATE` and `FOR SHARE` but not PostgreSQL's two other row-lock
/// strengths. This blanks out `NO KEY` of `FOR NO KEY UPDATE` and `KEY` of `FOR KEY SHARE`
/// with spaces — every position stays where it was — and returns the text sqlparser reads,
/// with the byte offset of each `FOR` whose strength it weakened.
fn weaker_strengths(
    dialect: &PostgreSqlDialect,
    sql: &str,
    offsets: &LineOffsets,
) -> (String, Vec<(usize, Strength)>) {
    use sqlparser::keywords::Keyword as K;
    let Some(tokens) = significant_tokens(dialect, sql) else {
        return (sql.to_string(), Vec::new());
    };
    let keyword = |t: &sqlparser::tokenizer::TokenWithSpan| match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    };
    let mut bytes = sql.as_bytes().to_vec();
    let mut weaker = Vec::new();
    let mut blank = |t: &sqlparser::tokenizer::TokenWithSpan| {
        if let (Some(a), Some(b)) = (offsets.byte(t.span.start), offsets.byte(t.span.end)) {
            bytes[a..b].fill(b' ');
        }
    };
    for (i, t) in tokens.iter().enumerate() {
        if keyword(t) != Some(K::FOR) {
            continue;
        }
        let next: Vec<Option<K>> = (1..4)
            .map(|k| tokens.get(i + k).and_then(keyword))
            .collect();
        let strength = match next.as_slice() {
            [Some(K::NO), Some(K::KEY), Some(K::UPDATE)] => {
                blank(&tokens[i + 1]);
                blank(&tokens[i + 2]);
                Strength::NoKeyUpdate
            }
            [Some(K::KEY), Some(K::SHARE), _] => {
                blank(&tokens[i + 1]);
                Strength::KeyShare
            }
            _ => continue,
        };
        if let Some(at) = offsets.byte(t.span.start) {
            weaker.push((at, strength));
        }
    }
    // Only ASCII letters were replaced by spaces: still UTF-8.
    let text = String::from_utf8(bytes).unwrap_or_else(|_| sql.to_string());
    (text, weaker)
}

/// The statement at bytes `range` with the strength [`weaker_strengths`] read for its locking
/// clause.
fn with_weaker_strength(
    ir: Stmt,
    weaker: &[(usize, Strength)],
    range: std::ops::Range<usize>,
) -> Stmt {
    let Some(&(_, strength)) = weaker.iter().find(|(at, _)| range.contains(at)) else {
        return ir;
    };
    match ir {
        Stmt::Select(mut sel) => {
            if let Some(lock) = sel.lock.as_mut() {
                lock.strength = strength;
            }
            Stmt::Select(sel)
        }
        other => other,
    }
}

/// Maps sqlparser's (line, column) locations (1-based, columns in characters) to byte offsets.
struct LineOffsets<'a> {
    sql: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineOffsets<'a> {
    fn new(sql: &'a str) -> Self {
        let mut starts = vec![0];
        for (i, c) in sql.char_indices() {
            if c == '\n' {
                starts.push(i + 1);
            }
        }
        LineOffsets { sql, starts }
    }

    fn byte(&self, loc: Location) -> Option<usize> {
        let line = usize::try_from(loc.line).ok()?.checked_sub(1)?;
        let col = usize::try_from(loc.column).ok()?.checked_sub(1)?;
        let start = *self.starts.get(line)?;
        let rest = self.sql.get(start..)?;
        match rest.char_indices().nth(col) {
            Some((i, _)) => Some(start + i),
            None => Some(self.sql.len()),
        }
    }
}

/// sqlparser (PostgreSQL dialect) accepts an alias after `*` (`SELECT * FORM t` parses `FORM`
/// as an alias and fails later, at `t`); PostgreSQL's grammar has no such alias and reports the
/// word right after the `*`. Finds that word when a parse failed.
/// Only a `*` between `from` (the statement's start) and `to` (the reported error) counts.
fn star_alias_error(
    dialect: &PostgreSqlDialect,
    sql: &str,
    from: Location,
    to: Option<(usize, usize)>,
) -> Option<SqlError> {
    let to = to?;
    let from = line_col(from);
    use sqlparser::keywords::Keyword as K;
    let tokens = significant_tokens(dialect, sql)?;
    let may_follow_star = [
        K::FROM,
        K::WHERE,
        K::ORDER,
        K::LIMIT,
        K::OFFSET,
        K::FOR,
        K::UNION,
        K::INTERSECT,
        K::EXCEPT,
        K::GROUP,
        K::HAVING,
        K::WINDOW,
        K::INTO,
        K::FETCH,
    ];
    for w in tokens.windows(3) {
        let star_in_list = match &w[0].token {
            Token::Comma | Token::Period => true,
            Token::Word(word) => matches!(word.keyword, K::SELECT | K::RETURNING),
            _ => false,
        };
        let pos = line_col(w[1].span.start);
        if pos < from || pos > to {
            continue;
        }
        if let (true, Token::Mul, Token::Word(word)) = (star_in_list, &w[1].token, &w[2].token) {
            if word.quote_style.is_some() || !may_follow_star.contains(&word.keyword) {
                return Some(syntax_error_near(&w[2].token.to_string(), w[2].span.start));
            }
        }
    }
    None
}

/// The statement's tokens without white space (None if it does not even tokenize).
fn significant_tokens(
    dialect: &PostgreSqlDialect,
    sql: &str,
) -> Option<Vec<sqlparser::tokenizer::TokenWithSpan>> {
    let tokens = sqlparser::tokenizer::Tokenizer::new(dialect, sql)
        .tokenize_with_location()
        .ok()?;
    Some(
        tokens
            .into_iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .collect(),
    )
}

/// A sqlparser location as 1-based (line, column); (0, 0) when unknown.
fn line_col(l: Location) -> (usize, usize) {
    (
        usize::try_from(l.line).unwrap_or(0),
        usize::try_from(l.column).unwrap_or(0),
    )
}

/// Valid PostgreSQL locking clauses that sqlparser cannot parse (`FOR KEY SHARE`,
/// `FOR NO KEY UPDATE`, and any locking clause on a SELECT without FROM): when the parse failed
/// right after such a `FOR`, the statement is refused as not modelled rather than reported as a
/// syntax error PostgreSQL would not raise. (Oracle scenarios lock-strengths.txt and
/// for-share-without-from.txt.)
fn locking_clause_gap(
    dialect: &PostgreSqlDialect,
    sql: &str,
    at: Option<(usize, usize)>,
) -> Option<SqlError> {
    use sqlparser::keywords::Keyword as K;
    let (line, col) = at?;
    let tokens = significant_tokens(dialect, sql)?;
    let i = tokens
        .iter()
        .position(|t| line_col(t.span.start) == (line, col))?;
    let keyword = |t: &sqlparser::tokenizer::TokenWithSpan| match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    };
    if i == 0 || keyword(&tokens[i - 1]) != Some(K::FOR) {
        return None;
    }
    let what = match keyword(&tokens[i])? {
        K::KEY => "the row-lock strength FOR KEY SHARE",
        K::NO => "the row-lock strength FOR NO KEY UPDATE",
        K::UPDATE | K::SHARE => "a locking clause on a SELECT without FROM",
        _ => return None,
    };
    Some(SqlError::not_supported(what).at(line, col))
}

/// Valid ON CONFLICT targets that sqlparser cannot parse (an index expression, a collation or
/// operator class, a partial index's `WHERE` predicate): when the parse failed between
/// `ON CONFLICT` and its `DO`, the statement is refused as not modelled.
fn conflict_target_gap(
    dialect: &PostgreSqlDialect,
    sql: &str,
    at: Option<(usize, usize)>,
) -> Option<SqlError> {
    use sqlparser::keywords::Keyword as K;
    let (line, col) = at?;
    let tokens = significant_tokens(dialect, sql)?;
    let i = tokens
        .iter()
        .position(|t| line_col(t.span.start) == (line, col))?;
    let keyword = |t: &sqlparser::tokenizer::TokenWithSpan| match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    };
    let before = &tokens[..i];
    let conflict = before
        .iter()
        .rposition(|t| keyword(t) == Some(K::CONFLICT))?;
    let after_on = conflict > 0 && keyword(&tokens[conflict - 1]) == Some(K::ON);
    let done = before[conflict..].iter().any(|t| keyword(t) == Some(K::DO));
    (after_on && !done).then(|| SqlError::not_supported("this ON CONFLICT target").at(line, col))
}

/// Turns sqlparser's error text (`Expected: X, found: Y at Line: 1, Column: 10`) into
/// PostgreSQL's wording where the offending token is known.
fn syntax_error(e: ParserError) -> SqlError {
    let text = match e {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s,
        ParserError::RecursionLimitExceeded => {
            return SqlError::error("54001", "stack depth limit exceeded")
        }
    };
    let (body, position) = match text.rsplit_once(" at Line: ") {
        Some((body, loc)) => {
            let mut parts = loc.split(", Column: ");
            let line = parts.next().and_then(|l| l.trim().parse::<usize>().ok());
            let col = parts.next().and_then(|c| c.trim().parse::<usize>().ok());
            match (line, col) {
                (Some(l), Some(c)) => (body.to_string(), Some((l, c))),
                _ => (text.clone(), None),
            }
        }
        None => (text.clone(), None),
    };
    let message = match body.rsplit_once(", found: ") {
        Some((_, "EOF")) => "syntax error at end of input".to_string(),
        Some((_, found)) => format!("syntax error at or near \"{found}\""),
        None => body,
    };
    let mut err = SqlError::error("42601", message);
    err.position = position;
    err
}
