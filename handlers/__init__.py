"""The city-management domain: what the case process calls into and what the interfaces serve.
The folder reads as the domain's table of contents, one package per concept:

    cases/         the case: report, summary row, who sees it, search, JSON, photos, side events,
                   history as people read it, deadlines after filing, penalties
    worklist/      open steps, who may complete them, completing them, the step forms
    org/           units, users, what each role may do, API tokens and clients
    process/       the diagram <-> code contract, the functions and services diagrams may call,
                   deploying and linting versions, diffs, moving cases between versions
    workcalendar/  the working-day calendar's arithmetic and its CLI (the data is in calendar/)
    audit/         hash-chain and replay checks, and what auditors read
    intake/        external channels, cameras and video detection
    categories/    the case category catalogue
    demo/          the Xiamen demo data

Beside them, what every concept shares: `errors` (refusals and their statuses), `localtime` (one
zone, one way to write an instant), `forms` (the base of every form schema), `commands` (what the
CLI commands share) and `models` (every table, for migrations). Nothing here imports web/ or api/;
`engine/` never imports anything here."""
