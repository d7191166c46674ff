//! The page's words in Russian (see [`super`]).

pub const STRINGS: &[(&str, &str)] = &[
    ("Language", "Язык"),
    ("Write a lesson", "Написать урок"),
    (
        "races between databases, caches and their clients, step by step",
        "гонки между базами данных, кешами и их клиентами, шаг за шагом",
    ),
];
