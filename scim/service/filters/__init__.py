"""The SCIM filter language (RFC 7644 section 3.4.2.2) and PATCH paths (RFC 7644 section 3.5.2).

``tree``: the nodes a filter or path is made of; ``lexer``: its tokens; ``parser``: text to tree
(``parse_filter``, ``parse_patch_path``); ``evaluator``: whether a resource satisfies a filter
(``matches``) and the value a path names (``value_at``).
"""
