use super::*;
use crate::service::postgres::extract_params;

fn pg() -> Vec<crate::service::Decl> {
    vec![crate::service::Decl::new(Kind::Postgres)]
}

fn ok(src: &str) -> Script {
    compile(src, &[], &pg()).unwrap_or_else(|e| panic!("{e}"))
}

fn err(src: &str) -> ScriptError {
    compile(src, &[], &pg()).expect_err("should not compile")
}

#[test]
fn params_become_placeholders_outside_quotes() {
    let (text, params) =
        extract_params("UPDATE t SET b = :new, c = ':not' WHERE id = :id AND x = :new::int");
    assert_eq!(
        text,
        "UPDATE t SET b = $1, c = ':not' WHERE id = $2 AND x = $1::int"
    );
    assert_eq!(params, vec!["new".to_string(), "id".to_string()]);
}

#[test]
fn lost_update_script_compiles_to_five_steps() {
    let s = ok("BEGIN\n\
         bal = SELECT balance FROM category_balance WHERE account_id = 1 AND category_id = 'FOOD'\n\
         new = bal - 200\n\
         UPDATE category_balance SET balance = :new WHERE account_id = 1 AND category_id = 'FOOD'\n\
         COMMIT\n");
    assert_eq!(s.ops.len(), 5);
    assert_eq!(
        s.ops.iter().map(|o| o.line).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    match &s.ops[1].kind {
        OpKind::Call { binds, call, .. } => {
            assert_eq!(binds, &vec!["bal".to_string()]);
            assert!(call.params.is_empty());
        }
        other => panic!("expected SQL, got {other:?}"),
    }
    match &s.ops[3].kind {
        OpKind::Call {
            call:
                Call {
                    params,
                    request: crate::service::Request::Sql(stmt),
                    ..
                },
            ..
        } => {
            assert_eq!(params, &vec!["new".to_string()]);
            assert_eq!(stmt.param_count(), 1);
        }
        other => panic!("expected SQL, got {other:?}"),
    }
}

#[test]
fn if_elif_else_compile_to_branches_and_jumps() {
    let s = ok("x = 5\n\
         if x < 3:\n    y = 1\n\
         elif x < 10:\n    y = 2\n\
         else:\n    # comment\n    y = 3\n\
         return y\n");
    // x=5 | Branch(l2) | y=1 | Jump | Branch(l4) | y=2 | Jump | y=3 | return
    let kinds: Vec<&str> = s
        .ops
        .iter()
        .map(|o| match o.kind {
            OpKind::Assign { .. } => "assign",
            OpKind::Branch { .. } => "branch",
            OpKind::Jump { .. } => "jump",
            OpKind::Return { .. } => "return",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["assign", "branch", "assign", "jump", "branch", "assign", "jump", "assign", "return"]
    );
    assert_eq!(
        s.ops[1].kind,
        OpKind::Branch {
            cond: parse_expr("x < 3").unwrap(),
            else_target: 4
        }
    );
    assert_eq!(s.ops[3].kind, OpKind::Jump { target: 8 });
    assert_eq!(
        s.ops[4].kind,
        OpKind::Branch {
            cond: parse_expr("x < 10").unwrap(),
            else_target: 7
        }
    );
    assert_eq!((s.ops[7].line, s.ops[8].line), (8, 9));
}

#[test]
fn sleep_return_fail() {
    let s = ok("sleep 50ms\nsleep 7\nfail 'no money'\n");
    assert_eq!(s.ops[0].kind, OpKind::Sleep { ms: 50 });
    assert_eq!(s.ops[1].kind, OpKind::Sleep { ms: 7 });
    assert!(matches!(s.ops[2].kind, OpKind::Fail { .. }));
}

#[test]
fn errors_are_located() {
    let e = err("BEGIN\nnew = bal - 200\n");
    assert_eq!((e.line, e.col), (2, 7));
    assert!(e.message.contains("`bal` is used before"), "{}", e.message);

    let e = err("x = 1\n  y = 2\n");
    assert_eq!((e.line, e.message.as_str()), (2, "unexpected indent"));

    let e = err("x = 1\nif x > 0:\nreturn x\n");
    assert_eq!(e.line, 2);
    assert!(e.message.contains("indented block"));

    let e = err("x = 1\nfrobnicate the cache\n");
    assert_eq!((e.line, e.col), (2, 1));
    assert!(e.message.starts_with("not a step"));

    let e = err("UPDATE t SET a = :v\n");
    assert_eq!((e.line, e.col), (1, 18));

    let e = err("sleep soon\n");
    assert!(e.message.contains("milliseconds"));

    let e = err("if = 3\n");
    assert_eq!(e.line, 1);

    let e = err("x = 1\nelse:\n  y = 1\n");
    assert!(e.message.contains("without an `if`"));

    let e = err("\tBEGIN\n");
    assert!(e.message.contains("spaces"));

    let e = err("# only a comment\n");
    assert!(e.message.contains("no steps"));
}

#[test]
fn unsupported_sql_is_a_located_script_error() {
    let e = err("x = 1\nSELECT a FROM t JOIN u ON t.id = u.id\n");
    assert_eq!(e.line, 2);
    assert!(
        e.message.contains("not supported by the simulator"),
        "{}",
        e.message
    );
}

#[test]
fn binding_a_statement_without_rows_is_rejected() {
    let e = err("n = UPDATE t SET a = 1\n");
    assert!(e.message.contains("RETURNING"), "{}", e.message);
}

#[test]
fn known_vars_count_as_assigned() {
    let s = compile("UPDATE t SET a = :amount\n", &["amount".to_string()], &pg());
    assert!(s.is_ok());
}
