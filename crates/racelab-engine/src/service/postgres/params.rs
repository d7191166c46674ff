//! Script variables in SQL text: `:name` becomes `$1`, `$2`, … A leaf.

/// Replaces `:name` outside quotes (and not `::` casts) by `$1`, `$2`, … Returns the new text and
/// the variable names in parameter order.
pub fn extract_params(sql: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(sql.len());
    let mut params: Vec<String> = Vec::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push_str("::");
            i += 2;
            continue;
        } else if c == ':'
            && matches!(chars.get(i + 1), Some(n) if n.is_ascii_alphabetic() || *n == '_')
        {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
                end += 1;
            }
            let name: String = chars[start..end].iter().collect();
            let idx = params.iter().position(|p| *p == name).unwrap_or_else(|| {
                params.push(name);
                params.len() - 1
            });
            out.push_str(&format!("${}", idx + 1));
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    (out, params)
}
