"""A personal folder written for this evaluation: journal, recipes, repairs, insurance, work.

Everything here was written for Loci's quality runs (Apache-2.0 like the rest of the repo).
``NOTES`` maps a relative path to its text; the photos come from scikit-image's sample data
(CC0 / public domain) under neutral camera-style names.
"""

from __future__ import annotations

NOTES: dict[str, str] = {
    "journal/2026-03-02.md": """# Monday

Couldn't fall asleep until 3 am again. Kept going over the reorg meeting in my head and
whether my team survives it. Work stress is eating my nights; I need to talk to Sam about
the deadline instead of lying awake.
""",
    "journal/2026-03-09.md": """# Sunday

Long walk along the river with Ana. We talked about moving to a smaller flat and about her
sister's wedding in June. Bought tulips at the market on the way home.
""",
    "journal/2026-04-14.md": """# Tuesday evening

I really have to book a dentist appointment, the molar on the left has hurt for two weeks.
Also spent two hours doomscrolling the news in bed again. Phone goes in the kitchen tonight.
""",
    "journal/2026-05-01.md": """# Resolutions, again

Stop doomscrolling before bed. Call the dentist on Monday (check-up overdue since autumn).
Read one book a month. Cycle to work at least three days a week.
""",
    "journal/2026-06-20.md": """# Midsummer

Sat in the garden until eleven, still light. Made elderflower cordial with the kids and
burned the barbecue sausages. A very good day.
""",
    "pets/miso.md": """# Miso

Miso, our grey tabby cat, sleeps on the sofa most of the day and wakes up only for dinner.
She is nine years old. Vet check-up every spring; she hates the carrier.
""",
    "pets/vet-visit.md": """# Vet visit, March

Miso had her vaccination and a dental cleaning. The vet said she is slightly overweight:
less dry food, more play. Next appointment in twelve months. Bill: 180 euros.
""",
    "bike/repair-shop.md": """# Bike repair at Velo Werk

Dropped the commuter bike off on Thursday. New chain, rear brake pads and a trued back
wheel. The shop quoted 85 euros for parts and labour; ready by Saturday.
""",
    "bike/flat-tyre.md": """# Fixing a flat tyre

1. Remove the wheel and let the rest of the air out.
2. Lever the tyre off with two tyre levers, pull out the inner tube.
3. Find the puncture by pumping the tube and listening, or in a bowl of water.
4. Roughen the area, apply glue, wait a minute, press the patch on firmly.
5. Check the inside of the tyre for the thorn or glass before refitting.
""",
    "bike/gears.md": """# Adjusting the rear derailleur

If the chain skips on the smaller cogs, turn the barrel adjuster a quarter turn
anticlockwise. The limit screws H and L stop the chain falling off either end. Clean and
oil the chain every 300 km.
""",
    "insurance/home-policy.txt": """HOME CONTENTS INSURANCE - POLICY SCHEDULE

Policy number HC-2231-887. Insured address: 14 Rua das Flores, Lisbon.
Cover: contents up to 40,000 EUR, accidental damage included. Excess: 150 EUR per claim.

Section 4. Claims. How to claim: report the loss within 30 days. Repairs to insured items
must be approved by the insurer before work begins. Bicycles are covered up to 1,000 EUR
when locked to a fixed object. Water damage from a burst pipe is covered; gradual leaks are
not. Renewal date: 1 September each year. Premium: 312 EUR annually.
""",
    "insurance/car.txt": """Car insurance renewal notice. Vehicle: 2017 Skoda Octavia estate.
Third party, fire and theft. Annual premium rises from 410 to 455 EUR from October.
No-claims discount: 5 years. Breakdown cover is an optional extra at 60 EUR.
""",
    "work/incident-2026-02-11.md": """# Incident: public API outage

From 14:05 to 14:52 UTC the public API returned 503 to every request. The database
connection pool was exhausted after a deploy doubled the worker count. Rolled back at 14:40;
error rate back to normal at 14:52. Customers saw the dashboard fail to load.

Action items: cap the pool per worker, add an alert on connection saturation.
""",
    "work/postmortem-march.md": """# Postmortem: login service down for 2 hours

The login service went down on 3 March after the TLS certificate expired. Nobody could sign
in to the web app or the mobile app. Renewal had been manual. Fix: automatic renewal and a
monitor that warns 14 days before expiry.
""",
    "work/pricing.md": """# Pricing ideas

Three tiers: free (one folder), personal 4 EUR a month, team 9 EUR per seat. Annual plans
two months free. Ask the beta users whether per-seat pricing scares small teams.
""",
    "work/onboarding.md": """# Onboarding checklist for new engineers

Laptop and accounts on day one, a buddy for the first month, first pull request by the end
of week one. Read the architecture doc and shadow an on-call shift in week three.
""",
    "work/standup-notes.md": """# Standup, 12 May

Priya is blocked on the payments migration until the bank sends the sandbox keys. Tom
finished the search filters. I will review the caching pull request this afternoon.
""",
    "work/offsite.md": """# Team offsite in Porto

Two days in June. Day one: roadmap for the second half of the year. Day two: a boat trip on
the Douro and dinner at the place with the grilled sardines. Budget 300 EUR per person.
""",
    "recipes/sourdough.md": """# Sourdough bread

Feed the starter the night before. 500 g flour, 350 g water, 100 g starter, 10 g salt.
Stretch and fold four times over two hours, shape, proof overnight in the fridge, bake at
250 C in a Dutch oven, 20 minutes lid on and 25 off.
""",
    "recipes/pancakes.md": """# Sunday pancakes

Two eggs, 250 ml milk, 120 g flour, a pinch of salt, one spoon of sugar. Rest the batter
ten minutes. Thin pancakes in a hot buttered pan; serve with lemon and sugar.
""",
    "recipes/chili.md": """# Vegetarian chili

Onions, garlic, two peppers, a tin of kidney beans, a tin of black beans, chopped tomatoes,
cumin, smoked paprika and a square of dark chocolate. Simmer an hour. Feeds six.
""",
    "recipes/lemonade.md": """# Lemonade for the summer party

Juice of eight lemons, 200 g sugar dissolved in hot water, two litres of cold water, mint
leaves and lots of ice. Make it the morning of the party so it stays fresh.
""",
    "home/boiler.md": """# Boiler keeps losing pressure

The pressure gauge drops from 1.5 to 0.5 bar within a week. Refill through the filling loop
under the boiler. The plumber thinks the expansion vessel needs recharging; visit booked.
""",
    "home/roof.md": """# Roof leak after the storm

Water came through the bedroom ceiling during the October storm. Two tiles slipped. The
roofer replaced them and resealed the flashing around the chimney for 240 EUR.
""",
    "home/garden.md": """# Garden plan

Tomatoes and basil along the south wall, courgettes in the raised bed, a row of beans on the
fence. Water in the morning. Compost the grass cuttings.
""",
    "home/wifi.md": """# Home network

The router is in the hallway cupboard. Guest network name is Flores-Guest, password on the
fridge. The mesh node upstairs needs a restart when the connection drops in the bedroom.
""",
    "travel/lisbon.md": """# Lisbon trip

Tram 28 up to the castle, custard tarts in Belém, sunset at the Miradouro da Senhora do
Monte. The hotel was near Rossio; book the Sintra day trip ahead next time.
""",
    "travel/packing.md": """# Packing list for hiking

Boots, rain jacket, two pairs of wool socks, headtorch, first aid kit, water filter, map and
compass, snacks. Check the weather forecast the night before.
""",
    "travel/japan-ideas.md": """# Japan, someday

Kyoto temples in autumn, the onsen towns in the mountains, Tokyo's food markets. A rail pass
for two weeks. Learn enough Japanese to order food.
""",
    "health/running.md": """# Running log

Three runs this week: 5 km, 8 km and a slow 12 km on Sunday. Knee felt fine. Aim for the
half marathon in October; build up by ten percent a week.
""",
    "health/allergies.md": """# Hay fever

Pollen season starts in April. Antihistamine in the morning, windows shut at night, shower
after being outside. The pharmacist recommended a nasal spray.
""",
    "finance/taxes.md": """# Tax return checklist

Collect the salary statements, the receipts for the home office, donations and the
childcare invoices. Deadline end of June. The accountant wants everything by mid May.
""",
    "finance/budget.md": """# Monthly budget

Rent 1,200, groceries about 450, transport 90, savings 400, subscriptions 35. Cancel the
second streaming service; we never watch it.
""",
    "kids/school.md": """# School things

Parents evening on the 14th. Swimming kit on Wednesdays. Lea needs a costume for the
spring play, she is a tree. Pay the trip money by Friday.
""",
    "books/reading.md": """# Books this year

Finished The Left Hand of Darkness, started a history of the Roman republic. Want to read
something by Toni Morrison next. Library card renewed.
""",
    "music/guitar.md": """# Guitar practice

Learn the barre chords F and B minor cleanly. Fifteen minutes of scales every day, then the
song. Restring with 10-gauge strings; the old ones sound dull.
""",
    "car/service.md": """# Car service

The Skoda is due for its service at 60,000 km: oil, filters and brake fluid. Garage quote
310 EUR. Winter tyres go on in November.
""",
    "empty.md": "",
    "blank-note.txt": "   \n\n  \t \n",
    "projects/loci.md": """# Loci

## Ideas

## Search

Search by meaning across notes, photos and voice memos, offline with a local model.

## Sync

Watch the folders and keep the index up to date.
""",
    "projects/tool-options.md": """# Backup script

The nightly backup copies the photos and documents folders to the external drive and keeps
thirty days of snapshots.

| option | default | meaning |
|---|---|---|
| --source | ~/Documents | folder to copy |
| --dest | /mnt/backup | where the snapshots go |
| --keep | 30 | days of snapshots kept |
| --exclude | none | patterns to skip |
| --bwlimit | 0 | bandwidth limit in KB/s |
| --dry-run | off | show what would be copied |
| --checksum | off | compare by checksum instead of size and time |
| --compress | off | compress on the wire |
| --delete | off | delete files gone from the source |
| --log | ~/backup.log | where the log goes |
| --verbose | off | list every file |
| --quiet | off | print only errors |

```sh
rsync -a --delete --link-dest=../latest ~/Documents /mnt/backup/$(date +%F)
rsync -a --delete --link-dest=../latest ~/Pictures /mnt/backup/$(date +%F)
ln -sfn /mnt/backup/$(date +%F) /mnt/backup/latest
find /mnt/backup -maxdepth 1 -mtime +30 -exec rm -rf {} +
```
""",
    "photos-notes/coffee.md": """# The new espresso machine

Finally bought the espresso machine. First cup of coffee this morning was too bitter; grind
coarser and pull 25 seconds.
""",
    "photos-notes/launch.md": """# Rocket launch trip

We drove to the coast to watch the rocket launch at dawn. The noise arrived seconds after
the flame; the kids still talk about it.
""",
}

# scikit-image sample → neutral name in the personal folder (what a phone would call it).
PHOTOS: dict[str, str] = {
    "chelsea.png": "Camera Roll/IMG_2041.png",
    "coffee.png": "Camera Roll/IMG_2042.png",
    "rocket.jpg": "Camera Roll/IMG_2043.jpg",
    "astronaut.png": "Camera Roll/IMG_2044.png",
    "motorcycle_left.png": "Camera Roll/IMG_2045.png",
    "hubble_deep_field.jpg": "Camera Roll/IMG_2046.jpg",
    "coins.png": "Camera Roll/IMG_2047.png",
    "horse.png": "Camera Roll/IMG_2048.png",
}
