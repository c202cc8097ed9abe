"""Every table of the domain, imported in one place (for migrations and `create_all`)."""
from .org import Unit, User  # noqa: F401
from .cases import Case  # noqa: F401
from .worklist import OpenTask  # noqa: F401
from .penalties import Penalty  # noqa: F401
from .attachments import Attachment  # noqa: F401
from .tokens import ApiClient, ApiToken  # noqa: F401
from .intake.cameras import Camera  # noqa: F401
from .intake.video import VideoDetection  # noqa: F401
