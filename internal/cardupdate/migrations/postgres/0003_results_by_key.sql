-- A run's results are written, updated and read only by (run_id, member_id); the latest result
-- of a card is cardupdate_card_status (card_id → run_id). The card index only cost writes.
DROP INDEX cardupdate_results_card;
