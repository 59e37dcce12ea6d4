select user_id, user_key, anonymous_key
from {{ source('chordme', '_user_pseudonyms') }}
