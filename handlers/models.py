"""Every table of the domain, imported in one place (for migrations and `create_all`)."""
from .org.models import Unit, User  # noqa: F401
from .org.tokens import ApiClient, ApiToken  # noqa: F401
from .cases.models import Case, CaseUnit  # noqa: F401
from .cases.numbers import CaseNumber  # noqa: F401
from .cases.number_search import CaseNoSuffix  # noqa: F401
from .cases.penalties import Penalty  # noqa: F401
from .cases.attachments import Attachment  # noqa: F401
from .worklist.models import OpenTask  # noqa: F401
from .evaluation.steps import CaseStep  # noqa: F401
from .intake.cameras import Camera  # noqa: F401
from .intake.video import VideoDetection  # noqa: F401
from .notifications.models import Notification, OutboxAttempt, OutboxMessage  # noqa: F401
from .org.throttle import LoginFailure  # noqa: F401
from .callbacks.models import ClientCallback  # noqa: F401
from .followups.models import CaseFollowUp  # noqa: F401
