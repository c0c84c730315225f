"""Onboarding and membership (PRODUCT.md §2), one module per concern:

- ``joining``: the join link, the application, the decision, join requests and newcomers, and
  the settings that shape joining (approval mode, categories, country);
- ``directory``: the members' directory, a member's card and its owner's profile;
- ``roster``: a member's standing over time (leave, suspend, reinstate, remove);
- ``roles``: coordinators (promote, demote) and the colleagues acting for a member (/team);
- ``fields`` and ``lookups``: what they share (validating what people type; the alliance, a
  person, one's own member, who reads a notice).

``handlers.membership`` and ``bot.views.membership`` have the same concern modules, so a concern
is found under the same name in each layer. Nothing is re-exported here: import the module that
holds the name.
"""
