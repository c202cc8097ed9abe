"""回访: the citizen's verdict on a closed hotline case (12345, 110), as the intake operator records
it after calling back — 满意, 基本满意 or 不满意, with an optional note; one per case.

It owns the follow-up row (what the evaluation counts: the satisfaction rate of the unit that
handled the case) and the `follow_up` event on the case's own hash chain (the timeline; replay
skips it, as it is not an input of the process, so `audit verify` stays green). It decides nothing
about the case itself."""
