"""Supervision (态势): what the supervising levels (市城管委, 市城管办, 区政府) and the command center
watch of a unit and its subtree: today's and a month's reports, filings and closures, the cases
open now by status, deadline light and age, the on-time rate of the unit and of the units below it,
and the evaluation's ranking, for one viewer and only what that viewer may see.

It reads and never writes, and keeps no figure of its own: a number the evaluation also has (上报,
立案, 结案, 超期未结案, 按期处置率, the ranks) is the evaluation's (`handlers.evaluation`); every other
number is a count of the case list's own filters (`handlers.cases.search`), so that each number
opens the list of exactly its cases. Who sees which cases is `cases.visibility`'s rule, never
restated here."""
