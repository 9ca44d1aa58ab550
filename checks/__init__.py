"""The rule machinery every robot's checks are written in: the catalogue of named rules
(`checks.rules`, what `robots rules` prints and exceptions refer to), the reading rules
(`checks.reading`), and the data-quality expectations and suites (`checks.quality`) with the
suites of the registers every robot may read (CPR, CVR). A robot's own rules live in its
package (robots/<name>/checks.py and quality.py).
"""
