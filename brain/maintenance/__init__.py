"""The operator's toolkit: ``brain backup``, ``brain restore`` and ``brain doctor``.

archive   the backup file: its layout, manifest and instance files; writing and reading it
database  what backup and restore (and the doctor) ask of the database and its client tools
backup    ``brain backup``: a consistent snapshot of the database and instance files
restore   ``brain restore``: the refusals, then loading a backup into an empty database
doctor    ``brain doctor``: one check per way a deployment commonly goes wrong
"""

from brain.maintenance.backup import backup_command
from brain.maintenance.doctor import doctor_command
from brain.maintenance.restore import restore_command

__all__ = ["backup_command", "doctor_command", "restore_command"]
