"""The case (案件): one reported problem and everything done about it.

Here: the report that starts a case and its process, the summary row derived from the process
after every step, which units a case belongs to and so who sees it, searching, the case JSON,
photos, the events beside the process, the history as people read it, deadlines after filing
(extensions, the provisional calendar, overdue, the light, suspension), penalties, and the acts
staff deliver to the process as messages: 督办 by hand (what the 督办 exchange waits for) and 恢复
of a suspended case.

A case's process state is the truth about it; nothing here keeps a fact the process does not
derive, and nothing here decides who may complete a step (that is `worklist`)."""
