"""The evaluation (考评): how each unit, area, command-center post and grid worker did in a period,
as the city's scoring sheets ask it: counts, rates, points lost, a score, a composite indicator with
its grade, and ranks within each level. The loop's last step: 受理派发 → 协调处置 → 监督考评.

Every figure is derived from recorded facts, exactly: the case rows, the penalty rows and the
case's steps (`steps`, a typed projection of its hash-chained events written in the same
transaction and rebuilt by `audit verify`). Nothing here keeps a counter of its own, and nothing
here writes: the weights, base score and grades are the deployed decision tables' (`rules`)."""
