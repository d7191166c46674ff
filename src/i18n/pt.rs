//! The page's words in Portuguese (Brazil, as the source document; see [`super`]).

pub const STRINGS: &[(&str, &str)] = &[
    ("Language", "Idioma"),
    ("Write a lesson", "Escrever uma lição"),
    (
        "races between databases, caches and their clients, step by step",
        "condições de corrida entre bancos de dados, caches e seus clientes, passo a passo",
    ),
];
