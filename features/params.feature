@params
Feature: Our own params come back in the outcome
  We pass identifiers as params when we start the agent; the platform echoes
  them in call.ended's outcomeResult so we can match the call to our records.

  Scenario: The application id we sent is what the receiver stores
    Given the call "job-interview"
    And the call's param "application_id" is "A-1"
    When the platform delivers the whole call
    Then every event is acknowledged
    And the call.ended event echoes every param in outcomeResult
    And the receiver recorded the param "application_id" as "A-1"
    And the receiver recorded every param in the call's outcome

  Scenario: Params of every type survive the round trip
    Given the call "support-resolved"
    And the call's params are:
      | param          | value                    |
      | ticket_ref     | T-9981                   |
      | context_data   | {"plan":"pro","seats":3} |
    When the platform delivers the whole call
    Then every event is acknowledged
    And the receiver recorded every param in the call's outcome

  Scenario: Outcome fields that were asked but not given arrive as null
    Given the call "ends-early"
    When the platform delivers the whole call
    Then every event is acknowledged
    And the receiver recorded every param in the call's outcome
