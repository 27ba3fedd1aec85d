from django.db import models


class JobClaim(models.Model):
    """One row per effect a job has already had (see apps.core.jobs.claim_once)."""

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key
