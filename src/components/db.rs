//! The simulated database: committed rows, uncommitted writes, row locks and their waiters.

use leptos::prelude::*;
use racelab_engine::run::Run;
use racelab_engine::Value;

fn cell(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Null => "NULL".to_string(),
        other => other.to_string(),
    }
}

#[component]
pub fn DbView(run: RwSignal<Run>) -> impl IntoView {
    move || {
        run.with(|r| {
            r.world()
                .db
                .tables()
                .into_iter()
                .map(|t| {
                    let head = t.columns.iter().map(|c| view! { <th>{c.clone()}</th> }).collect_view();
                    let rows = t
                        .rows
                        .iter()
                        .map(|row| {
                            let cells = match &row.committed {
                                Some(vals) => t
                                    .columns
                                    .iter()
                                    .zip(vals)
                                    .map(|(c, v)| view! { <td data-column=c.clone()>{cell(v)}</td> })
                                    .collect_view()
                                    .into_any(),
                                None => view! { <td class="uncommitted" colspan=t.columns.len()>"(not committed yet)"</td> }.into_any(),
                            };
                            let pending = row.pending.as_ref().map(|(s, vals)| {
                                let what = match vals {
                                    Some(v) => format!("({})", v.iter().map(cell).collect::<Vec<_>>().join(", ")),
                                    None => "delete".to_string(),
                                };
                                view! { <div class="pending-write">{format!("uncommitted by {}: {what}", r.session_name(*s))}</div> }
                            });
                            let lock = row.lock.as_ref().map(|l| {
                                let mut text = format!("locked by {}", r.session_name(l.holder));
                                if !l.waiters.is_empty() {
                                    let w: Vec<String> = l.waiters.iter().map(|s| r.session_name(*s)).collect();
                                    text.push_str(&format!(" · waiting: {}", w.join(", ")));
                                }
                                view! { <div class="row-lock">{text}</div> }
                            });
                            view! {
                                <tr class="db-row" data-key=row.key.clone()>
                                    {cells}
                                    <td class="row-notes">{pending}{lock}</td>
                                </tr>
                            }
                        })
                        .collect_view();
                    view! {
                        <table class="db-table" data-table=t.name.clone()>
                            <caption>{t.name.clone()}</caption>
                            <thead><tr>{head}<th class="row-notes">"locks, uncommitted"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }
                })
                .collect_view()
        })
    }
}
