//! The client script language: one line is one atomic step the scheduler can stop before.
//!
//! ```text
//! # a comment
//! BEGIN
//! bal = SELECT balance FROM category_balance WHERE account_id = 1 AND category_id = 'FOOD'
//! new = bal - 200
//! if new < 0:
//!     fail 'insufficient funds'
//! UPDATE category_balance SET balance = :new WHERE account_id = 1 AND category_id = 'FOOD'
//! COMMIT
//! sleep 50ms
//! return new
//! ```
//!
//! * A line addressed to a service is a call: it starts with the service's name
//!   (`postgres SELECT …`), or is claimed by a declared service without one (a line that starts
//!   with an SQL keyword goes to PostgreSQL). Each service owns the syntax of its lines
//!   ([`crate::service::Kind::parse`]); in SQL, `:name` is the value of a script variable
//!   (interpolated as a literal, as psycopg2 does).
//! * `a = SELECT …` (or `a, b = SELECT …`) binds the values of the reply: for SQL, the columns
//!   of the one row the query returns; no row binds null; more than one row is an error.
//! * `name = expression` computes locally (see [`expr`]).
//! * `if cond:` / `elif cond:` / `else:` with an indented block; the condition is a step.
//! * `try:` with an indented block, then `except CODE, CODE:` / `except:` blocks: an error reply
//!   to a call inside the block (its SQLSTATE, the first word of a Redis error, `connection`)
//!   continues at the first clause that names its code, with `error` and `error_code` set; one no
//!   clause names fails the request (or goes to an outer `try:`). `retry N` in an `except` block
//!   goes back to the `try:` at most N times, then on to the next line. `try:` and `except`
//!   lines are not steps; `retry` is.
//! * `sleep 50ms` (or `sleep 50`) pauses the client; `return [expr]` ends the request with
//!   success; `fail expr` ends it with an error.

pub mod expr;

use crate::service::api::{Call, ServiceId};
use crate::service::{Decl, Kind};
use expr::{parse_expr, Expr, ExprError, RESERVED};
use std::fmt;
use std::sync::Arc;

/// A compiled script. `ops` is a flat program; `Jump` ops are control flow, not steps.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Script {
    /// The source lines as written (1-based line n is `lines[n - 1]`), for display.
    pub lines: Vec<String>,
    pub ops: Vec<Op>,
    /// The `try:` blocks: what an error of a call inside one does (see [`Handler`]).
    pub handlers: Vec<Handler>,
}

/// A `try:` block's `except` clauses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Handler {
    /// In order: the error codes a clause catches (empty: `except:` catches every error) and
    /// the op its block starts at.
    pub clauses: Vec<(Vec<String>, usize)>,
    /// The `try:` around this one: an error no clause catches goes there.
    pub parent: Option<usize>,
}

impl Script {
    /// Where an error with `code` raised under handler `h` continues (None: not caught).
    pub fn catch(&self, mut h: Option<usize>, code: &str) -> Option<usize> {
        while let Some(i) = h {
            let handler = self.handlers.get(i)?;
            let hit = handler.clauses.iter().find(|(codes, _)| {
                codes.is_empty() || codes.iter().any(|c| c.eq_ignore_ascii_case(code))
            });
            if let Some((_, pc)) = hit {
                return Some(*pc);
            }
            h = handler.parent;
        }
        None
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Op {
    /// 1-based source line.
    pub line: usize,
    pub kind: OpKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OpKind {
    /// A call to a service.
    Call {
        service: ServiceId,
        call: Call,
        /// Variables bound to the values of the reply (empty: the reply is not kept).
        binds: Vec<String>,
        /// The innermost `try:` around the line (an index into [`Script::handlers`]).
        catch: Option<usize>,
    },
    /// `retry N` in an `except` block: back to the `try:` at most N times, then on.
    Retry {
        target: usize,
        max: u32,
    },
    Assign {
        var: String,
        expr: Expr,
    },
    /// Evaluates `cond`; when false, continues at `else_target`.
    Branch {
        cond: Expr,
        else_target: usize,
    },
    /// Control flow only: not a step, costs no time.
    Jump {
        target: usize,
    },
    Sleep {
        ms: u64,
    },
    /// `log …`: a line of the operation log (no virtual time).
    Log {
        text: String,
    },
    Return {
        value: Option<Expr>,
    },
    Fail {
        message: Expr,
    },
}

impl OpKind {
    pub fn is_step(&self) -> bool {
        !matches!(self, OpKind::Jump { .. })
    }
}

/// A located script error: 1-based line and column within the script text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

fn first_word(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `a, b = rest` into the names and the offset of `rest`; None when the line is not an
/// assignment (no single `=` after a list of names).
fn split_assignment(s: &str) -> Option<(Vec<String>, usize)> {
    let eq = s.find('=')?;
    if s[eq + 1..].starts_with('=') {
        return None;
    }
    let names: Vec<String> = s[..eq].split(',').map(|n| n.trim().to_string()).collect();
    if names.iter().all(|n| is_ident(n)) {
        let rest = eq + 1 + (s[eq + 1..].len() - s[eq + 1..].trim_start().len());
        Some((names, rest))
    } else {
        None
    }
}

struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
}

/// Compiles a script. `known_vars` are variables set before the script starts (client inputs);
/// `services` are the lesson's services, in order (a call's [`ServiceId`] indexes it).
pub fn compile(src: &str, known_vars: &[String], services: &[Decl]) -> Result<Script, ScriptError> {
    let lines: Vec<String> = src.lines().map(|l| l.trim_end().to_string()).collect();
    let mut code = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let lead = &raw[..raw.len() - trimmed.len()];
        if lead.contains('\t') {
            return Err(ScriptError {
                line: i + 1,
                col: 1,
                message: "indent with spaces, not tabs".into(),
            });
        }
        code.push(Line {
            no: i + 1,
            indent: lead.len(),
            text: trimmed,
        });
    }
    let mut c = Compiler {
        lines: &code,
        pos: 0,
        ops: Vec::new(),
        assigned: known_vars.to_vec(),
        services,
        handlers: Vec::new(),
        tries: Vec::new(),
        in_except: Vec::new(),
    };
    if let Some(first) = code.first() {
        if first.indent != 0 {
            return Err(c.error(first, 0, "the first line of a script must not be indented"));
        }
    }
    c.block(0)?;
    let (ops, handlers) = (c.ops, c.handlers);
    if ops.iter().all(|op| !op.kind.is_step()) {
        return Err(ScriptError {
            line: 1,
            col: 1,
            message: "the script has no steps".into(),
        });
    }
    Ok(Script {
        lines,
        ops,
        handlers,
    })
}

struct Compiler<'a> {
    lines: &'a [Line<'a>],
    pos: usize,
    ops: Vec<Op>,
    /// Variables that some earlier line assigns (a cheap check that catches typos).
    assigned: Vec<String>,
    services: &'a [Decl],
    handlers: Vec<Handler>,
    /// The `try:` blocks the current line is in: (handler, the op the block starts at), the
    /// innermost last; `in_except` marks lines inside an `except` block of the last one.
    tries: Vec<(usize, usize)>,
    in_except: Vec<bool>,
}

impl<'a> Compiler<'a> {
    fn error(&self, line: &Line, col: usize, message: impl Into<String>) -> ScriptError {
        ScriptError {
            line: line.no,
            col: line.indent + col + 1,
            message: message.into(),
        }
    }

    fn expr(&self, line: &Line, offset: usize, src: &str) -> Result<Expr, ScriptError> {
        let e = parse_expr(src)
            .map_err(|ExprError { col, message }| self.error(line, offset + col, message))?;
        self.check_vars(line, offset, src, &e)?;
        Ok(e)
    }

    fn check_vars(
        &self,
        line: &Line,
        offset: usize,
        src: &str,
        e: &Expr,
    ) -> Result<(), ScriptError> {
        let mut missing = None;
        visit_vars(e, &mut |name| {
            if missing.is_none() && !self.assigned.iter().any(|a| a == name) {
                missing = Some(name.to_string());
            }
        });
        match missing {
            Some(name) => {
                let col = find_word(src, &name).unwrap_or(0);
                Err(self.error(
                    line,
                    offset + col,
                    format!("variable `{name}` is used before any line assigns it"),
                ))
            }
            None => Ok(()),
        }
    }

    fn push(&mut self, line: usize, kind: OpKind) -> usize {
        self.ops.push(Op { line, kind });
        self.ops.len() - 1
    }

    /// Compiles lines at exactly `indent` until a line with a smaller indent.
    fn block(&mut self, indent: usize) -> Result<(), ScriptError> {
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent < indent {
                return Ok(());
            }
            if line.indent > indent {
                return Err(self.error(line, 0, "unexpected indent"));
            }
            self.statement()?;
        }
        Ok(())
    }

    fn nested_block(&mut self, header: &Line) -> Result<(), ScriptError> {
        match self.lines.get(self.pos) {
            Some(next) if next.indent > header.indent => self.block(next.indent),
            _ => Err(self.error(
                header,
                header.text.len(),
                "expected an indented block after this line",
            )),
        }
    }

    fn statement(&mut self) -> Result<(), ScriptError> {
        let line = &self.lines[self.pos];
        self.pos += 1;
        let text = line.text;
        let word = first_word(text).to_ascii_lowercase();
        match word.as_str() {
            "if" => return self.if_chain(line),
            "try" => return self.try_block(line),
            "retry" => return self.retry(line),
            "elif" | "else" => {
                return Err(self.error(line, 0, format!("`{word}` without an `if` above it")))
            }
            "except" => return Err(self.error(line, 0, "`except` without a `try:` above it")),
            "sleep" | "return" | "fail" => return self.keyword(line, &word),
            "log" if !text[3..].trim_start().starts_with('=') => return self.log(line),
            _ => {}
        }
        let route = self.route(line, text, 0)?;
        if text.ends_with(':') && route.is_none() {
            return Err(self.error(
                line,
                0,
                "a line ending in `:` must start with `if`, `elif` or `else`",
            ));
        }
        if let Some((service, at)) = route {
            return self.call(line, service, Vec::new(), at);
        }
        if let Some((names, rest_at)) = split_assignment(text) {
            return self.assignment(line, names, rest_at);
        }
        Err(self.error(
            line,
            0,
            "not a step: expected an SQL statement, `name = …`, `if …:`, `sleep`, `return` or `fail`",
        ))
    }

    /// `log CACHE_MISS product_id={pid}`: a line of the operation log, `{name}` replaced by the
    /// variable's value when the step runs.
    fn log(&mut self, line: &Line) -> Result<(), ScriptError> {
        let text = line.text[3..].trim().to_string();
        if text.is_empty() {
            return Err(self.error(line, 3, "say what to log, like `log CACHE_MISS id={pid}`"));
        }
        let mut rest = text.as_str();
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                return Err(self.error(line, 0, "a `{` without its `}`"));
            };
            let name = &rest[open + 1..open + close];
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(self.error(
                    line,
                    0,
                    format!("`{{{name}}}` is not a variable: write `{{name}}`"),
                ));
            }
            rest = &rest[open + close + 1..];
        }
        self.push(line.no, OpKind::Log { text });
        Ok(())
    }

    /// `sleep 50ms`, `return [expr]`, `fail expr`.
    fn keyword(&mut self, line: &Line, word: &str) -> Result<(), ScriptError> {
        let text = line.text;
        let rest = text[word.len()..].trim();
        let kind = match word {
            "sleep" => {
                let digits = rest.strip_suffix("ms").unwrap_or(rest).trim();
                let ms = digits.parse::<u64>().map_err(|_| {
                    self.error(
                        line,
                        6,
                        "write the pause in milliseconds, like `sleep 50ms`",
                    )
                })?;
                OpKind::Sleep { ms }
            }
            "return" if rest.is_empty() => OpKind::Return { value: None },
            "return" => OpKind::Return {
                value: Some(self.expr(line, text.len() - rest.len(), rest)?),
            },
            _ if rest.is_empty() => {
                return Err(self.error(
                    line,
                    4,
                    "say why the request fails, like `fail 'insufficient funds'`",
                ))
            }
            _ => OpKind::Fail {
                message: self.expr(line, text.len() - rest.len(), rest)?,
            },
        };
        self.push(line.no, kind);
        Ok(())
    }

    /// `a = expr` or `a, b = <call>`.
    fn assignment(
        &mut self,
        line: &Line,
        names: Vec<String>,
        rest_at: usize,
    ) -> Result<(), ScriptError> {
        let text = line.text;
        if let Some(bad) = names
            .iter()
            .find(|n| RESERVED.contains(&n.to_ascii_lowercase().as_str()))
        {
            return Err(self.error(
                line,
                0,
                format!("`{bad}` is a keyword and cannot name a variable"),
            ));
        }
        let rest = &text[rest_at..];
        if rest.is_empty() {
            return Err(self.error(line, rest_at, "expected a value or an SQL query after `=`"));
        }
        if let Some((service, at)) = self.route(line, rest, rest_at)? {
            self.call(line, service, names.clone(), at)?;
        } else {
            if names.len() != 1 {
                return Err(self.error(line, 0, "only a query can assign several variables"));
            }
            let expr = self.expr(line, rest_at, rest)?;
            let var = names[0].clone();
            self.push(line.no, OpKind::Assign { var, expr });
        }
        for n in names {
            if !self.assigned.contains(&n) {
                self.assigned.push(n);
            }
        }
        Ok(())
    }

    /// Which service `text` (at byte `at` of the line) is addressed to, and where its request
    /// starts: after a service's name, or the whole text when a declared service claims it.
    /// A line only an undeclared service would claim is an error that says so.
    fn route(
        &self,
        line: &Line,
        text: &str,
        at: usize,
    ) -> Result<Option<(ServiceId, usize)>, ScriptError> {
        let word = first_word(text);
        let after = &text[word.len()..];
        if after.starts_with(' ')
            && !after.trim().is_empty()
            && !after.trim_start().starts_with('=')
        {
            if let Some(id) = self.services.iter().position(|d| d.prefix() == word) {
                let start = at + text.len() - after.trim_start().len();
                return Ok(Some((id, start)));
            }
        }
        if let Some(id) = self.services.iter().position(|d| d.kind.claims(text)) {
            return Ok(Some((id, at)));
        }
        match Kind::ALL.iter().find(|k| k.claims(text)) {
            Some(k) => Err(self.error(
                line,
                at,
                format!(
                    "this line is for {}, but the lesson does not use it (add \"{}\" to `services`)",
                    k.title(),
                    k.name()
                ),
            )),
            None => Ok(None),
        }
    }

    /// A call to `service`: the request starts at byte `at` of the line.
    fn call(
        &mut self,
        line: &Line,
        service: ServiceId,
        binds: Vec<String>,
        at: usize,
    ) -> Result<(), ScriptError> {
        let src = &line.text[at..];
        let call: Call = self.services[service]
            .kind
            .parse(src)
            .map_err(|e| self.error(line, at + e.col, e.message))?;
        for p in &call.params {
            if !self.assigned.contains(p) {
                let col = src
                    .find(&format!(":{p}"))
                    .or_else(|| find_word(src, p))
                    .unwrap_or(0);
                return Err(self.error(
                    line,
                    at + col,
                    format!("variable `{p}` is used before any line assigns it"),
                ));
            }
        }
        if let (false, Some(why)) = (binds.is_empty(), &call.no_values) {
            return Err(self.error(line, at, why.clone()));
        }
        let catch = self.catching();
        self.push(
            line.no,
            OpKind::Call {
                service,
                call,
                binds,
                catch,
            },
        );
        Ok(())
    }

    /// The handler an error of a call here goes to: the innermost `try:` whose body (not its
    /// `except` blocks) the line is in.
    fn catching(&self) -> Option<usize> {
        let depth = self.in_except.iter().rposition(|e| !e)?;
        Some(self.tries[depth].0)
    }

    /// `try:` with its `except CODE, CODE:` / `except:` blocks.
    fn try_block(&mut self, header: &'a Line<'a>) -> Result<(), ScriptError> {
        if header.text.trim_end() != "try:" {
            return Err(self.error(header, 0, "write `try:` alone on its line"));
        }
        let parent = self.catching();
        let h = self.handlers.len();
        self.handlers.push(Handler {
            clauses: Vec::new(),
            parent,
        });
        self.tries.push((h, self.ops.len()));
        self.in_except.push(false);
        let body = self.nested_block(header);
        let mut end_jumps = vec![self.push(header.no, OpKind::Jump { target: usize::MAX })];
        let result = body.and_then(|_| self.except_clauses(header, h, &mut end_jumps));
        self.tries.pop();
        self.in_except.pop();
        result?;
        let end = self.ops.len();
        for j in end_jumps {
            self.ops[j].kind = OpKind::Jump { target: end };
        }
        Ok(())
    }

    fn except_clauses(
        &mut self,
        header: &Line,
        h: usize,
        end_jumps: &mut Vec<usize>,
    ) -> Result<(), ScriptError> {
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != header.indent || first_word(line.text) != "except" {
                break;
            }
            self.pos += 1;
            let Some(codes) = line.text.strip_suffix(':') else {
                return Err(self.error(line, line.text.len(), "`except` lines end with `:`"));
            };
            let codes: Vec<String> = codes["except".len()..]
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect();
            if let Some(bad) = codes
                .iter()
                .find(|c| !is_ident(c) && !c.chars().all(|ch| ch.is_ascii_alphanumeric()))
            {
                return Err(self.error(
                    line,
                    7,
                    format!("`{bad}` is not an error code (like 40001, WRONGTYPE or connection)"),
                ));
            }
            if self.handlers[h].clauses.iter().any(|(c, _)| c.is_empty()) {
                return Err(self.error(
                    line,
                    0,
                    "a bare `except:` catches everything, so it must come last",
                ));
            }
            let start = self.ops.len();
            self.handlers[h].clauses.push((codes, start));
            if let Some(flag) = self.in_except.last_mut() {
                *flag = true;
            }
            self.assigned
                .extend(["error".to_string(), "error_code".to_string()]);
            self.nested_block(line)?;
            end_jumps.push(self.push(line.no, OpKind::Jump { target: usize::MAX }));
        }
        if self.handlers[h].clauses.is_empty() {
            return Err(self.error(
                header,
                0,
                "a `try:` needs at least one `except …:` after its block",
            ));
        }
        Ok(())
    }

    /// `retry N`: inside an `except` block, back to its `try:` at most N times.
    fn retry(&mut self, line: &Line) -> Result<(), ScriptError> {
        let Some((_, target)) = self
            .tries
            .last()
            .copied()
            .filter(|_| self.in_except.last() == Some(&true))
        else {
            return Err(self.error(line, 0, "`retry` goes inside an `except` block"));
        };
        let max = line.text["retry".len()..]
            .trim()
            .parse::<u32>()
            .map_err(|_| self.error(line, 6, "write how many times to retry, like `retry 3`"))?;
        self.push(line.no, OpKind::Retry { target, max });
        Ok(())
    }

    fn if_chain(&mut self, header: &'a Line<'a>) -> Result<(), ScriptError> {
        let mut end_jumps = Vec::new();
        let mut line = header;
        loop {
            let word = first_word(line.text).to_ascii_lowercase();
            let Some(body) = line.text.strip_suffix(':') else {
                return Err(self.error(
                    line,
                    line.text.len(),
                    format!("`{word}` lines end with `:`"),
                ));
            };
            if word == "else" {
                if body.trim() != "else" {
                    return Err(self.error(
                        line,
                        0,
                        "`else:` takes no condition (use `elif cond:`)",
                    ));
                }
                self.nested_block(line)?;
                break;
            }
            let cond_src = body[word.len()..].trim();
            if cond_src.is_empty() {
                return Err(self.error(line, word.len(), format!("`{word}` needs a condition")));
            }
            let cond = self.expr(line, line.text.len() - 1 - cond_src.len(), cond_src)?;
            let branch = self.push(
                line.no,
                OpKind::Branch {
                    cond,
                    else_target: usize::MAX,
                },
            );
            self.nested_block(line)?;
            match self.lines.get(self.pos) {
                Some(next)
                    if next.indent == header.indent
                        && matches!(
                            first_word(next.text).to_ascii_lowercase().as_str(),
                            "elif" | "else"
                        ) =>
                {
                    end_jumps.push(self.push(line.no, OpKind::Jump { target: usize::MAX }));
                    let target = self.ops.len();
                    if let OpKind::Branch { else_target, .. } = &mut self.ops[branch].kind {
                        *else_target = target;
                    }
                    line = &self.lines[self.pos];
                    self.pos += 1;
                }
                _ => {
                    let target = self.ops.len();
                    if let OpKind::Branch { else_target, .. } = &mut self.ops[branch].kind {
                        *else_target = target;
                    }
                    break;
                }
            }
        }
        let end = self.ops.len();
        for j in end_jumps {
            self.ops[j].kind = OpKind::Jump { target: end };
        }
        Ok(())
    }
}

/// A call line with its variables' values filled in, as the trace shows what was sent:
/// `:name` as an SQL literal (`300`, `'FOOD'`), `{name}` as the text a key-value command gets.
pub fn fill_in(text: &str, params: &[String], values: &[crate::value::Value]) -> String {
    let mut out = text.to_string();
    for (name, v) in params.iter().zip(values) {
        out = out.replace(&format!("{{{name}}}"), &v.plain());
        out = replace_sql_param(&out, name, &v.to_string());
    }
    out
}

/// Replaces `:name` (not `::name`, not inside a longer name) by `literal`.
fn replace_sql_param(text: &str, name: &str, literal: &str) -> String {
    let pat = format!(":{name}");
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(&pat) {
        let before_colon = i > 0 && rest.as_bytes()[i - 1] == b':';
        let after = &rest[i + pat.len()..];
        let longer = after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..i]);
        out.push_str(if before_colon || longer {
            &pat
        } else {
            literal
        });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn visit_vars(e: &Expr, f: &mut impl FnMut(&str)) {
    match e {
        Expr::Var(name) => f(name),
        Expr::Lit(_) | Expr::Now => {}
        Expr::Call(_, args) => args.iter().for_each(|x| visit_vars(x, f)),
        Expr::Not(x) | Expr::Neg(x) | Expr::IsNull(x, _) => visit_vars(x, f),
        Expr::Bin(_, a, b) => {
            visit_vars(a, f);
            visit_vars(b, f);
        }
    }
}

fn find_word(src: &str, word: &str) -> Option<usize> {
    src.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before_ok = i == 0 || !src.as_bytes()[i - 1].is_ascii_alphanumeric();
        let after = i + word.len();
        let after_ok = after >= src.len() || !src.as_bytes()[after].is_ascii_alphanumeric();
        before_ok && after_ok
    })
}

/// Shared, immutable scripts: cloning a world never copies code.
pub type ScriptRef = Arc<Script>;

#[cfg(test)]
mod tests;
