"""Fixed vocabularies shared by the operations and the pages: the Meeting Point's kinds,
statuses, themes and regions, and the members' countries, languages and academy editions.
Neutral ground: blueprints and operations both import from here, never from each other."""
