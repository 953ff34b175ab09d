"""Provider metadata for Airflow's providers manager (entry point ``apache_airflow_provider``).

Standard library only: ``airflow providers list`` loads this without importing the adapter.
"""

from __future__ import annotations

from typing import Any

DESCRIPTION = ("odibi medallion pipelines on Airflow: one task per node, TaskGroups per layer, Assets per "
               "dataset, retries from the manifest, DAG files that parse without importing an engine.")


def get_provider_info() -> dict[str, Any]:
    """The provider's description: package, versions, operators, extra links and config (no connection
    types: an odibi connection borrows any existing Airflow Connection through ``airflow_conn_id``)."""
    from .. import __version__

    return {
        "package-name": "odibi-provider",
        "name": "odibi",
        "description": DESCRIPTION,
        "versions": [__version__],
        "integrations": [{"integration-name": "odibi", "tags": ["software"]}],
        "operators": [{"integration-name": "odibi", "python-modules": ["odibi_provider.airflow.operators.node"]}],
        "extra-links": ["odibi_provider.airflow.operators.links.OdibiStoryLink"],
        "config": {
            "odibi": {
                "description": "Settings of the odibi provider.",
                "options": {
                    "story_base_url": {
                        "description": "Base URL that serves the odibi story root; the task's 'odibi story' "
                                       "link is this URL plus the story's path. Empty: the odibi plugin "
                                       "serves it from the api-server at /odibi/stories/<project>/.",
                        "version_added": "0.1.0", "type": "string",
                        "example": "https://stories.example.com/retail", "default": "",
                    },
                },
            },
        },
    }
