select band_id, user_id, band_role, instrument
from {{ ref('int_band_members') }}
