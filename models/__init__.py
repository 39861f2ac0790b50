"""SQLAlchemy models: one module per part of the domain, all on one typed declarative base."""

from models.base import Base, DbNow, session_now, utcnow
from models.campaign import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignVariant,
    ContactTag,
    Recipient,
    RecipientStatus,
)
from models.case import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseEvent,
    CaseOrganisation,
    CaseStatus,
    Channel,
    EventKind,
    InvalidTransition,
    Urgency,
)
from models.contact import ConsentEvent, Contact, ContactOrganisation
from models.flow import FlowSession, FlowStatus, FlowStep
from models.message import (
    Call,
    CallStatus,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    WebhookReceipt,
)
from models.organisation import Organisation
from models.template import SmsTemplate, TemplateApproval, TemplateKind
from models.user import AuditAction, AuditLog, LoginAttempt, Role, User
from models.volunteer import Offer, OfferStatus, Volunteer

__all__ = [
    "OPEN_STATUSES", "Base", "Call", "CallStatus", "Case", "CaseCategory",
    "CaseEvent", "CaseOrganisation", "CaseStatus", "Channel", "ConsentEvent", "Contact",
    "ContactOrganisation",
    "Direction", "EventKind",
    "InvalidTransition", "Message", "MessageStatus", "Offer", "OfferStatus", "Purpose",
    "Urgency", "Volunteer", "WebhookReceipt", "utcnow", "DbNow", "session_now",
    "AuditAction", "AuditLog", "LoginAttempt", "Role", "User",
    "FlowSession", "FlowStatus", "FlowStep",
    "Organisation", "SmsTemplate", "TemplateApproval", "TemplateKind",
    "Campaign", "CampaignKind", "CampaignStatus", "CampaignVariant", "ContactTag",
    "Recipient", "RecipientStatus",
]
