"""The city map (一张图): what the map shows of the cases a viewer may see. Each case is a point at
the coordinates it was reported with, or — when it came without — at its grid's or else its
community's centre, marked as placed there; coloured by its deadline light and sized by urgency.
Beside the points: the cases counted per district (for a choropleth) and per street (at the street's
centre point, since the org data has no street boundaries), and the video cameras with their latest
detections. Filters: category or major class, status, urgency, the period the cases were reported in.

It reads only and keeps nothing of its own. Who sees which case is `cases.visibility` (through the
conditions of `cases.search`), and a camera is seen by the same rule on its grid; the light is
`cases.deadlines`. Neither rule is stated again here."""
