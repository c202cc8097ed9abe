"""The organisation: the unit tree (the command center, districts, streets and towns, communities,
responsibility grids, city departments and state-owned enterprises), the users who belong to units
with one role each, what each role may do (`capabilities`), the credentials of the API (users'
tokens, external systems), and the login limit against password guessing (`throttle`).

It says who someone is and what their role allows; whether a particular case is theirs to see is
`cases.visibility`, whether a step is theirs to complete is `worklist`."""
